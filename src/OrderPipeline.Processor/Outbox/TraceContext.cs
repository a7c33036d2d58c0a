using System.Diagnostics;

namespace OrderPipeline.Processor.Outbox;

/// <summary>
/// Fits the W3C trace context into the outbox's columns. Both values arrive from outside the Processor (the
/// client's HTTP headers, through the Api and the message's attributes), and a value too long for its column
/// would fail the order transaction on every delivery.
/// </summary>
public static class TraceContext
{
    /// <summary>The W3C traceparent of a span's context; null for none.</summary>
    public static string? TraceParentOf(ActivityContext context) =>
        context == default ? null : $"00-{context.TraceId.ToHexString()}-{context.SpanId.ToHexString()}-{(int)context.TraceFlags:x2}";

    /// <summary>A W3C traceparent (version-traceid-spanid-flags, 55 characters), or null for anything else.</summary>
    public static string? BoundTraceParent(string? traceParent) =>
        traceParent is { Length: > 0 and <= OutboxStore.MaxTraceParentLength } && traceParent.All(char.IsAscii) ? traceParent : null;

    /// <summary>
    /// The tracestate cut to whole list-members from the left, as the W3C specification lets a vendor shorten
    /// it (the leftmost entries are the most recently updated); null when nothing fits or it is not ASCII.
    /// </summary>
    public static string? BoundTraceState(string? traceState)
    {
        if (string.IsNullOrEmpty(traceState) || !traceState.All(char.IsAscii))
        {
            return null;
        }
        if (traceState.Length <= OutboxStore.MaxTraceStateLength)
        {
            return traceState;
        }
        var kept = new List<string>();
        var length = 0;
        foreach (var member in traceState.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var added = member.Length + (kept.Count > 0 ? 1 : 0);
            if (length + added > OutboxStore.MaxTraceStateLength)
            {
                break;
            }
            kept.Add(member);
            length += added;
        }
        return kept.Count > 0 ? string.Join(',', kept) : null;
    }
}
