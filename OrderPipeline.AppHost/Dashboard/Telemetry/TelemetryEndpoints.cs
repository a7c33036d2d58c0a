using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace OrderPipeline.AppHost.Dashboard.Telemetry;

/// <summary>JSON for the Traces, Structured logs and Metrics pages.</summary>
internal static class TelemetryEndpoints
{
    public static void MapTelemetry(this IEndpointRouteBuilder endpoints, TraceStore traces, LogStore logs, PipelineMetrics metrics)
    {
        endpoints.MapGet("/api/traces", (string? q, bool? background, int? limit) =>
            traces.List(q, background ?? false, Math.Clamp(limit ?? 200, 1, 1000)));

        endpoints.MapGet("/api/traces/{traceId}", (string traceId) =>
            traces.Get(traceId) is { } spans
                ? Results.Ok(new { summary = TraceStore.Summarize(spans), spans })
                : Results.NotFound());

        endpoints.MapGet("/api/logs", (string? service, int? level, string? trace, string? q, int? limit) =>
            logs.Query(service, level ?? 0, trace, q, Math.Clamp(limit ?? 300, 1, 2000)));

        endpoints.MapGet("/api/metrics", () => metrics.Build(DateTimeOffset.UtcNow));
    }
}
