using System.Diagnostics;
using OpenTelemetry;

namespace OrderPipeline.ServiceDefaults;

/// <summary>
/// Only a request or a message starts a trace. Drops the spans of queries and calls made outside any operation (the
/// outbox relay's and the cleanups' queries, the consumers' long polls) and anything started under an operation that is
/// itself not recorded: the health probes' requests are filtered out, and without this their database and queue checks
/// (an "Open" and a "POST" span) would each show as a trace of its own every few seconds, burying the orders' traces.
/// </summary>
public sealed class BackgroundCallFilter : BaseProcessor<Activity>
{
    /// <inheritdoc />
    public override void OnStart(Activity data)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (IsBackgroundCall(data))
        {
            DroppedSpans.Drop(data);
        }
    }

    internal static bool IsBackgroundCall(Activity activity) =>
        activity.Parent is { Recorded: false }
        || (activity.Kind == ActivityKind.Client && activity.Parent is null && activity.ParentSpanId == default);
}
