namespace OrderPipeline.AppHost.Dashboard.Telemetry;

/// <summary>An attribute as the pages show it: the key and the value rendered as text.</summary>
public sealed record TelemetryAttribute(string Key, string Value);

public sealed record SpanEventData(string Name, DateTimeOffset Time, IReadOnlyList<TelemetryAttribute> Attributes);

/// <summary>One finished span, flattened from OTLP; times in Unix nanoseconds.</summary>
public sealed record SpanData(
    string TraceId,
    string SpanId,
    string? ParentSpanId,
    string Name,
    string Kind,
    string Service,
    string Scope,
    long StartUnixNanos,
    long EndUnixNanos,
    bool IsError,
    string? StatusMessage,
    IReadOnlyList<TelemetryAttribute> Attributes,
    IReadOnlyList<SpanEventData> Events)
{
    public double DurationMs => (EndUnixNanos - StartUnixNanos) / 1e6;
}

/// <summary>A row of the trace list.</summary>
/// <param name="IsBackground">A single-service trace started by a client or internal span: a queue poll, the outbox relay's query.</param>
public sealed record TraceSummary(
    string TraceId,
    string Name,
    IReadOnlyList<string> Services,
    DateTimeOffset Start,
    double DurationMs,
    int SpanCount,
    int ErrorCount,
    bool IsBackground);

/// <summary>One OTLP log record.</summary>
public sealed record LogEntry(
    DateTimeOffset Time,
    string Service,
    string Category,
    int Severity,
    string Level,
    string Message,
    string? TraceId,
    string? SpanId,
    IReadOnlyList<TelemetryAttribute> Attributes)
{
    public long Sequence { get; internal set; }

    /// <summary>The .NET level name for an OTLP severity number (ranges of four per level).</summary>
    public static string LevelOf(int severity) => severity switch
    {
        >= 21 => "Critical",
        >= 17 => "Error",
        >= 13 => "Warning",
        >= 9 => "Information",
        >= 5 => "Debug",
        >= 1 => "Trace",
        _ => "Unspecified",
    };
}

/// <summary>A cumulative histogram as exported at one moment.</summary>
public sealed record HistogramSample(
    DateTimeOffset Time,
    ulong Count,
    double Sum,
    double? Min,
    double? Max,
    IReadOnlyList<ulong> BucketCounts,
    IReadOnlyList<double> ExplicitBounds);

public sealed record SumSample(DateTimeOffset Time, double Value);
