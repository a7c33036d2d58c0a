using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace OrderPipeline.Messaging.Telemetry;

/// <summary>
/// Spans and metrics for publishing and processing, named after the OpenTelemetry messaging conventions
/// (<c>{queue} publish</c>, <c>{queue} process</c>, <c>messaging.process.duration</c>).
/// </summary>
public sealed class MessagingTelemetry : IDisposable
{
    public const string SourceName = "OrderPipeline.Messaging";

    // W3C trace context travels in SQS message attributes under these names.
    public const string TraceParentAttribute = "traceparent";
    public const string TraceStateAttribute = "tracestate";
    public const string EventTypeAttribute = "event_type";

    /// <summary>
    /// Bucket boundaries for durations in seconds. The SDK's defaults are made for milliseconds and would put
    /// nearly every message in the first bucket, leaving percentiles meaningless.
    /// </summary>
    public static readonly InstrumentAdvice<double> SecondsHistogram = new()
    {
        HistogramBucketBoundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    };

    private readonly Meter _meter;
    private readonly Histogram<double> _processDuration;
    private readonly Histogram<double> _publishDuration;
    private readonly Counter<long> _outages;
    private readonly Histogram<double> _outageDuration;
    private Func<bool> _breakerOpen = () => false;

    public MessagingTelemetry(IMeterFactory meterFactory)
    {
        _meter = meterFactory.Create(SourceName);
        _processDuration = _meter.CreateHistogram(
            "messaging.process.duration", "s", "Duration of processing one message (for messages handled together, their batch's).",
            tags: null, SecondsHistogram);
        _publishDuration = _meter.CreateHistogram(
            "messaging.client.operation.duration", "s", "Duration of sending one message.", tags: null, SecondsHistogram);
        _outages = _meter.CreateCounter<long>(
            "orderpipeline.consumer.outages", "{outage}", "Times the consumers paused because a dependency was down.");
        _outageDuration = _meter.CreateHistogram(
            "orderpipeline.consumer.outage.duration", "s", "How long the consumers stayed paused for an outage.", tags: null, SecondsHistogram);
        _meter.CreateObservableGauge(
            "orderpipeline.consumer.paused", () => _breakerOpen() ? 1 : 0, "{state}", "1 while the consumers are paused for an outage, 0 otherwise.");
    }

    public ActivitySource ActivitySource { get; } = new(SourceName);

    public Activity? StartPublish(string queue, ActivityContext parent) =>
        StartActivity($"{queue} publish", ActivityKind.Producer, parent, queue, "publish", "send");

    public Activity? StartProcess(string queue, InboundTrace trace, string messageId)
    {
        var activity = StartActivity($"{queue} process", ActivityKind.Consumer, trace.Context, queue, "process", "process");
        activity?.SetTag("messaging.message.id", messageId);
        return activity;
    }

    public void RecordProcessed(string queue, TimeSpan elapsed, string? errorType) =>
        _processDuration.Record(elapsed.TotalSeconds, Tags(queue, "process", errorType));

    public void RecordPublished(string queue, TimeSpan elapsed, string? errorType) =>
        _publishDuration.Record(elapsed.TotalSeconds, Tags(queue, "send", errorType));

    /// <summary>Reports the outage breaker's state as the <c>orderpipeline.consumer.paused</c> gauge.</summary>
    public void ObserveBreaker(Func<bool> isOpen) => _breakerOpen = isOpen;

    public void RecordBreakerOpened() => _outages.Add(1);

    public void RecordBreakerClosed(TimeSpan after) => _outageDuration.Record(after.TotalSeconds);

    /// <summary>The W3C trace context of a message, read from its attributes; default when absent or malformed.</summary>
    public static InboundTrace ReadTrace(IReadOnlyDictionary<string, string> attributes)
    {
        attributes.TryGetValue(TraceParentAttribute, out var traceParent);
        attributes.TryGetValue(TraceStateAttribute, out var traceState);
        return ActivityContext.TryParse(traceParent, traceState, isRemote: true, out var context)
            ? new InboundTrace(context)
            : default;
    }

    public void Dispose()
    {
        ActivitySource.Dispose();
        _meter.Dispose();
    }

    private Activity? StartActivity(string name, ActivityKind kind, ActivityContext parent, string queue, string operation, string operationType)
    {
        var activity = ActivitySource.StartActivity(name, kind, parent);
        activity?.SetTag("messaging.system", "aws_sqs");
        activity?.SetTag("messaging.destination.name", queue);
        activity?.SetTag("messaging.operation.name", operation);
        activity?.SetTag("messaging.operation.type", operationType);
        return activity;
    }

    private static TagList Tags(string queue, string operation, string? errorType)
    {
        var tags = new TagList
        {
            { "messaging.system", "aws_sqs" },
            { "messaging.destination.name", queue },
            { "messaging.operation.name", operation },
        };
        if (errorType is not null)
        {
            tags.Add("error.type", errorType);
        }
        return tags;
    }
}

/// <summary>The trace a message arrived with (default when it carried none).</summary>
public readonly record struct InboundTrace(ActivityContext Context);
