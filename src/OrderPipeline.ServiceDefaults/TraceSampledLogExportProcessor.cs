using System.Diagnostics;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Logs;

namespace OrderPipeline.ServiceDefaults;

/// <summary>
/// Exports a log record written inside a trace that the sampler dropped only when it is a warning or worse: a load test
/// that keeps 1 % of the traces (<c>OTEL_TRACES_SAMPLER</c>) then sends the collector 1 % of their routine records too,
/// and every problem. Records outside any trace, and every record of a kept trace, are exported. Only this exporter
/// skips them: the console, which is the log in AWS (stdout to CloudWatch Logs), keeps every line.
/// </summary>
public sealed class TraceSampledLogExportProcessor : BatchLogRecordExportProcessor
{
    /// <summary>Batches the records kept for <paramref name="exporter"/>, as the SDK's batch processor does.</summary>
    /// <param name="exporter">Where the kept records go.</param>
    /// <param name="options">The batch settings (<c>OTEL_BLRP_*</c>).</param>
    public TraceSampledLogExportProcessor(BaseExporter<LogRecord> exporter, BatchExportLogRecordProcessorOptions options)
        : base(exporter, Options(options).MaxQueueSize, options.ScheduledDelayMilliseconds, options.ExporterTimeoutMilliseconds,
            options.MaxExportBatchSize)
    {
    }

    /// <summary>Whether a record is exported: outside any trace, in a sampled one, or a warning or worse.</summary>
    /// <param name="record">The record written.</param>
    /// <returns>False for a routine record of a trace the sampler dropped.</returns>
    public static bool Exports(LogRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return record.SpanId == default
            || (record.TraceFlags & ActivityTraceFlags.Recorded) != 0
            || record.LogLevel >= LogLevel.Warning;
    }

    /// <inheritdoc />
    public override void OnEnd(LogRecord data)
    {
        if (Exports(data))
        {
            base.OnEnd(data);
        }
    }

    private static BatchExportLogRecordProcessorOptions Options(BatchExportLogRecordProcessorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options;
    }
}
