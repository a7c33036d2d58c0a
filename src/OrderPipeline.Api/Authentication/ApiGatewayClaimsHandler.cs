using System.Security.Claims;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace OrderPipeline.Api.Authentication;

/// <summary>
/// Signs in the caller whose JWT API Gateway's authorizer has already checked: the Lambda Web Adapter passes the
/// request context, claims included, as JSON in <c>x-amzn-request-context</c>. The function cannot reach the issuer
/// (no route out of its VPC), and need not: the token was verified before the request was forwarded.
/// </summary>
public sealed class ApiGatewayClaimsHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> schemeOptions,
    IOptions<AuthOptions> auth,
    ILoggerFactory loggers,
    UrlEncoder encoder) : AuthenticationHandler<AuthenticationSchemeOptions>(schemeOptions, loggers, encoder)
{
    public const string SchemeName = "ApiGateway";
    public const string RequestContextHeader = "x-amzn-request-context";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!Request.Headers.TryGetValue(RequestContextHeader, out var header) || header.Count != 1 || string.IsNullOrEmpty(header[0]))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }
        var claims = ClaimsOf(header[0]!);
        if (claims is null)
        {
            return Task.FromResult(AuthenticateResult.Fail("The request context carries no JWT claims."));
        }
        var settings = auth.Value;
        if (settings.Issuer is { Length: > 0 } issuer && claims.GetValueOrDefault("iss") != issuer)
        {
            return Task.FromResult(AuthenticateResult.Fail("The token's issuer is not the configured one."));
        }
        if (settings.Audience is { Length: > 0 } audience && !AudiencesOf(claims.GetValueOrDefault("aud")).Contains(audience))
        {
            return Task.FromResult(AuthenticateResult.Fail("The token is not for this audience."));
        }
        var identity = new ClaimsIdentity(claims.Select(c => new Claim(c.Key, c.Value)), SchemeName, CustomerIdentity.SubjectClaim, null);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
    }

    /// <summary>requestContext.authorizer.jwt.claims of an HTTP API (payload 2.0) as strings; null when there are none.</summary>
    internal static Dictionary<string, string>? ClaimsOf(string requestContext)
    {
        try
        {
            using var document = JsonDocument.Parse(requestContext);
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("authorizer", out var authorizer) || authorizer.ValueKind != JsonValueKind.Object
                || !authorizer.TryGetProperty("jwt", out var jwt) || jwt.ValueKind != JsonValueKind.Object
                || !jwt.TryGetProperty("claims", out var claims) || claims.ValueKind != JsonValueKind.Object)
            {
                return null;
            }
            return claims.EnumerateObject().ToDictionary(
                p => p.Name,
                p => p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : p.Value.GetRawText(),
                StringComparer.Ordinal);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    // API Gateway flattens an audience list to "[a b]"; a single audience arrives as is.
    private static string[] AudiencesOf(string? value) =>
        value is null ? [] : value.Trim('[', ']').Split([' ', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
