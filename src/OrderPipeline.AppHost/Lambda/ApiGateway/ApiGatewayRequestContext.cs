using System.Globalization;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace OrderPipeline.AppHost.Lambda.ApiGateway;

/// <summary>
/// The <c>requestContext</c> of an HTTP API's Lambda proxy event (payload format 2.0), as JSON: what the Lambda Web
/// Adapter hands the program in the <c>x-amzn-request-context</c> header.
/// </summary>
internal static class ApiGatewayRequestContext
{
    /// <summary>The account of every local resource, as the local emulators use it.</summary>
    public const string AccountId = "000000000000";

    /// <summary>The one stage of the gateway: <c>$default</c>, served at the root of its URL.</summary>
    public const string Stage = "$default";

    public static string Create(HttpContext context, string apiId, string requestId, string routeKey, DateTimeOffset now, JwtAuthorization? authorization)
    {
        var request = context.Request;
        var domainName = request.Host.HasValue ? request.Host.Value! : "localhost";
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("accountId", AccountId);
            json.WriteString("apiId", apiId);
            if (authorization is not null)
            {
                json.WriteStartObject("authorizer");
                json.WriteStartObject("jwt");
                json.WriteStartObject("claims");
                foreach (var (name, value) in authorization.Claims)
                {
                    json.WriteString(name, value);
                }
                json.WriteEndObject();
                json.WritePropertyName("scopes");
                if (authorization.Scopes is { } scopes)
                {
                    json.WriteStartArray();
                    foreach (var scope in scopes)
                    {
                        json.WriteStringValue(scope);
                    }
                    json.WriteEndArray();
                }
                else
                {
                    json.WriteNullValue();
                }
                json.WriteEndObject();
                json.WriteEndObject();
            }
            json.WriteString("domainName", domainName);
            json.WriteString("domainPrefix", domainName.Split('.', ':')[0]);
            json.WriteStartObject("http");
            json.WriteString("method", request.Method);
            json.WriteString("path", request.Path.HasValue ? request.Path.Value : "/");
            json.WriteString("protocol", request.Protocol);
            json.WriteString("sourceIp", SourceIpOf(context));
            json.WriteString("userAgent", request.Headers.UserAgent.ToString());
            json.WriteEndObject();
            json.WriteString("requestId", requestId);
            json.WriteString("routeKey", routeKey);
            json.WriteString("stage", Stage);
            json.WriteString("time", now.UtcDateTime.ToString("dd/MMM/yyyy:HH:mm:ss +0000", CultureInfo.InvariantCulture));
            json.WriteNumber("timeEpoch", now.ToUnixTimeMilliseconds());
            json.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    public static string SourceIpOf(HttpContext context) =>
        context.Connection.RemoteIpAddress is { } address
            ? (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address).ToString()
            : IPAddress.Loopback.ToString();
}
