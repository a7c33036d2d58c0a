using System.Diagnostics;

namespace OrderPipeline.ServiceDefaults;

/// <summary>How the span filters drop a span as it starts.</summary>
internal static class DroppedSpans
{
    /// <summary>Not recorded: no exporter sends it, and nothing started under it is recorded either.</summary>
    public static void Drop(Activity activity)
    {
        activity.ActivityTraceFlags &= ~ActivityTraceFlags.Recorded;
        activity.IsAllDataRequested = false;
    }
}
