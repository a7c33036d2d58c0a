using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using OrderPipeline.Aws.Lambda;

namespace OrderPipeline.ServiceDefaults;

/// <summary>
/// Flushes the OpenTelemetry providers for the Lambda telemetry extension: spans and logs after every invocation,
/// metrics at most once per export interval (a flush always exports every instrument, whether it moved or not).
/// </summary>
internal sealed class OpenTelemetryFlush(IServiceProvider services, IConfiguration configuration) : ITelemetryFlush
{
    private readonly long _metricInterval = Stopwatch.Frequency / 1000
        * (long.TryParse(configuration["OTEL_METRIC_EXPORT_INTERVAL"], out var milliseconds) && milliseconds > 0 ? milliseconds : 60_000);
    private long _lastMetrics = Stopwatch.GetTimestamp();

    public void Flush(TimeSpan timeout)
    {
        var started = Stopwatch.GetTimestamp();
        int Left() => Math.Max(1, (int)(timeout - Stopwatch.GetElapsedTime(started)).TotalMilliseconds);
        services.GetService<TracerProvider>()?.ForceFlush(Left());
        services.GetService<LoggerProvider>()?.ForceFlush(Left());
        if (Stopwatch.GetTimestamp() - _lastMetrics >= _metricInterval)
        {
            _lastMetrics = Stopwatch.GetTimestamp();
            services.GetService<MeterProvider>()?.ForceFlush(Left());
        }
    }
}
