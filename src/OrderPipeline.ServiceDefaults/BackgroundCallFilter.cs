using System.Diagnostics;
using OpenTelemetry;

namespace OrderPipeline.ServiceDefaults;

/// <summary>
/// Drops the spans of database queries and HTTP calls made outside any operation: the outbox relay's and the
/// cleanups' queries, the consumers' long polls, health probes. Each would be a trace of its own, one every few
/// seconds per service, burying the orders' traces in the dashboard and costing export for nothing. The same calls
/// made while handling a request or a message have a parent and are kept.
/// </summary>
public sealed class BackgroundCallFilter : BaseProcessor<Activity>
{
    public override void OnStart(Activity data)
    {
        if (IsBackgroundCall(data))
        {
            // Not recorded: no exporter sends it, and nothing it starts is sampled either.
            data.ActivityTraceFlags &= ~ActivityTraceFlags.Recorded;
            data.IsAllDataRequested = false;
        }
    }

    internal static bool IsBackgroundCall(Activity activity) =>
        activity.Kind == ActivityKind.Client && activity.Parent is null && activity.ParentSpanId == default;
}
