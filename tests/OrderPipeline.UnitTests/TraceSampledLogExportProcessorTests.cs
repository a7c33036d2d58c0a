using System.Diagnostics;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OrderPipeline.ServiceDefaults;

namespace OrderPipeline.UnitTests;

/// <summary>The log exporter of the service defaults sends a dropped trace's problems, and none of its routine records.</summary>
[Trait("Category", "Unit")]
public sealed class TraceSampledLogExportProcessorTests
{
    [Fact]
    public void A_routine_record_is_exported_in_a_sampled_trace_and_outside_any_trace_but_not_in_a_dropped_trace()
    {
        var exported = Export(logger =>
        {
            using (InTrace(ActivityTraceFlags.Recorded))
            {
                logger.LogInformation("sampled");
            }
            using (InTrace(ActivityTraceFlags.None))
            {
                logger.LogInformation("dropped");
            }
            logger.LogInformation("outside");
        });

        Assert.Equal(["sampled", "outside"], exported);
    }

    [Fact]
    public void A_warning_or_an_error_is_exported_even_in_a_dropped_trace()
    {
        var exported = Export(logger =>
        {
            using (InTrace(ActivityTraceFlags.None))
            {
                logger.LogDebug("debug");
                logger.LogWarning("warning");
                logger.LogError("error");
                logger.LogCritical("critical");
            }
        });

        Assert.Equal(["warning", "error", "critical"], exported);
    }

    /// <summary>What reaches the exporter of the processor for the records <paramref name="write"/> logs.</summary>
    private static List<string> Export(Action<ILogger> write)
    {
        var exporter = new CollectingExporter();
        using (var factory = LoggerFactory.Create(logging => logging
                   .SetMinimumLevel(LogLevel.Trace)
                   .AddOpenTelemetry(otel => otel.AddProcessor(
                       new TraceSampledLogExportProcessor(exporter, new BatchExportLogRecordProcessorOptions())))))
        {
            write(factory.CreateLogger("test"));
        }
        // Disposing the factory shut the processor down, which exported what it held.
        return exporter.Bodies;
    }

    /// <summary>A span of a trace the caller sampled or not (its traceparent's flags), current until disposed.</summary>
    private static Activity InTrace(ActivityTraceFlags flags) =>
        new Activity("handle").SetParentId(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), flags).Start();

    private sealed class CollectingExporter : BaseExporter<LogRecord>
    {
        public List<string> Bodies { get; } = [];

        public override ExportResult Export(in Batch<LogRecord> batch)
        {
            foreach (var record in batch)
            {
                Bodies.Add(record.Body ?? "");
            }
            return ExportResult.Success;
        }
    }
}
