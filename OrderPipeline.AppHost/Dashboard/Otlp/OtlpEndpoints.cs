using System.IO.Compression;
using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using OrderPipeline.AppHost.Dashboard.Otlp.Proto;

namespace OrderPipeline.AppHost.Dashboard.Otlp;

/// <summary>
/// OTLP/HTTP with binary protobuf (what the services send with OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf):
/// POST /v1/traces, /v1/logs, /v1/metrics. Loopback callers only (checked by <see cref="Auth.LocalOnly"/>), and only
/// with the run's API key in the x-otlp-api-key header (which the AppHost gives the services).
/// </summary>
internal static class OtlpEndpoints
{
    private const string Protobuf = "application/x-protobuf";
    private const int MaxPayloadBytes = 16 * 1024 * 1024;

    private const string ApiKeyHeader = "x-otlp-api-key";

    public static void MapOtlp(this IEndpointRouteBuilder endpoints, OtlpIngest ingest, string apiKey)
    {
        var key = System.Text.Encoding.UTF8.GetBytes(apiKey);
        endpoints.MapPost("/v1/traces", (HttpContext context) =>
            ReceiveAsync(context, key, payload => ingest.Traces(payload), new ExportTraceServiceResponse()));
        endpoints.MapPost("/v1/logs", (HttpContext context) =>
            ReceiveAsync(context, key, payload => ingest.Logs(payload), new ExportLogsServiceResponse()));
        endpoints.MapPost("/v1/metrics", (HttpContext context) =>
            ReceiveAsync(context, key, payload => ingest.Metrics(payload), new ExportMetricsServiceResponse()));
    }

    private static async Task ReceiveAsync(HttpContext context, byte[] apiKey, Func<byte[], int> ingest, IMessage response)
    {
        var presented = System.Text.Encoding.UTF8.GetBytes(context.Request.Headers[ApiKeyHeader].ToString());
        if (!System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(presented, apiKey))
        {
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            return;
        }
        if (!string.Equals(context.Request.ContentType?.Split(';')[0].Trim(), Protobuf, StringComparison.OrdinalIgnoreCase))
        {
            // OTLP/HTTP JSON exists too, but nothing here sends it: say so plainly rather than misparse it.
            context.Response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
            return;
        }
        byte[] payload;
        try
        {
            payload = await ReadAsync(context.Request, context.RequestAborted).ConfigureAwait(false);
            ingest(payload);
        }
        catch (Exception ex) when (ex is InvalidProtocolBufferException or InvalidDataException)
        {
            // OTLP says: 400 for a payload that cannot be decoded, and the sender must not retry it.
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }
        context.Response.ContentType = Protobuf;
        await context.Response.Body.WriteAsync(response.ToByteArray(), context.RequestAborted).ConfigureAwait(false);
    }

    private static async Task<byte[]> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var gzip = string.Equals(request.Headers.ContentEncoding, "gzip", StringComparison.OrdinalIgnoreCase);
        // The request body belongs to the server: only the decompressing wrapper is ours to dispose.
        var body = gzip ? new GZipStream(request.Body, CompressionMode.Decompress, leaveOpen: true) : request.Body;
        try
        {
            using var buffer = new MemoryStream();
            var chunk = new byte[81920];
            int read;
            while ((read = await body.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
            {
                if (buffer.Length + read > MaxPayloadBytes)
                {
                    throw new InvalidDataException("OTLP payload too large.");
                }
                buffer.Write(chunk, 0, read);
            }
            return buffer.ToArray();
        }
        finally
        {
            if (gzip)
            {
                await body.DisposeAsync().ConfigureAwait(false);
            }
        }
    }
}
