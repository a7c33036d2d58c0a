using System.Diagnostics;

namespace OrderPipeline.Messaging.Consuming;

/// <summary>One message as a handler sees it, whether it came from a poll or from a Lambda SQS event.</summary>
/// <param name="Attributes">String message attributes (trace context, event type).</param>
/// <param name="ReceiveCount">How many times SQS has delivered it, this time included.</param>
public sealed record InboundMessage(string MessageId, string Body, IReadOnlyDictionary<string, string> Attributes, int ReceiveCount)
{
    /// <summary>
    /// The trace the handling of this message runs in (its process span, or the trace it arrived with when that span is
    /// not recorded). Events it causes continue this trace, even when several messages are handled together.
    /// </summary>
    public ActivityContext Trace { get; init; }

    /// <summary>
    /// The message's process span while it is handled; null when none was started. Several messages handled together
    /// share one flow, so a batch handler makes it current (<see cref="Activity.Current"/>) for what it logs about this
    /// message: the record then carries this message's trace, and the dashboard shows it in that trace.
    /// </summary>
    public Activity? ProcessSpan { get; init; }

    /// <summary>SQS's ApproximateReceiveCount system attribute, as both SQS and Lambda spell it; 1 when absent.</summary>
    public static int ReceiveCountOf(IReadOnlyDictionary<string, string>? systemAttributes) =>
        systemAttributes is not null
        && systemAttributes.TryGetValue("ApproximateReceiveCount", out var count)
        && int.TryParse(count, System.Globalization.CultureInfo.InvariantCulture, out var parsed) ? parsed : 1;
}
