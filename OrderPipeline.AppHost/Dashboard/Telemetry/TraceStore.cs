namespace OrderPipeline.AppHost.Dashboard.Telemetry;

/// <summary>
/// The most recent traces, in memory: at most <paramref name="maxTraces"/> traces (the oldest-started one goes
/// first) of at most <paramref name="maxSpansPerTrace"/> spans each, so a long run cannot grow the AppHost.
/// </summary>
public sealed class TraceStore(ChangeFeed changes, int maxTraces = 2000, int maxSpansPerTrace = 1000)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, List<SpanData>> _traces = new(StringComparer.Ordinal);
    // Arrival order of trace ids, for eviction; a trace keeps its place when more of its spans arrive.
    private readonly LinkedList<string> _arrival = new();

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _traces.Count;
            }
        }
    }

    public void Add(IReadOnlyList<SpanData> spans)
    {
        if (spans.Count == 0)
        {
            return;
        }
        lock (_gate)
        {
            foreach (var span in spans)
            {
                if (!_traces.TryGetValue(span.TraceId, out var trace))
                {
                    trace = [];
                    _traces[span.TraceId] = trace;
                    _arrival.AddLast(span.TraceId);
                    while (_traces.Count > maxTraces && _arrival.First is { } oldest)
                    {
                        _traces.Remove(oldest.Value);
                        _arrival.RemoveFirst();
                    }
                }
                if (trace.Count < maxSpansPerTrace)
                {
                    trace.Add(span);
                }
            }
        }
        changes.Touch("traces");
    }

    /// <summary>The spans of one trace, ordered by start; null when unknown (or evicted).</summary>
    public IReadOnlyList<SpanData>? Get(string traceId)
    {
        lock (_gate)
        {
            return _traces.TryGetValue(traceId, out var trace) ? [.. trace.OrderBy(s => s.StartUnixNanos)] : null;
        }
    }

    /// <summary>
    /// Newest first. <paramref name="search"/> matches a trace id, a span name, a service or any attribute value
    /// (e.g. an order id, which the order transaction span carries as order.id).
    /// </summary>
    public IReadOnlyList<TraceSummary> List(string? search, bool includeBackground, int limit)
    {
        List<List<SpanData>> candidates;
        lock (_gate)
        {
            candidates = [.. _traces.Values.Select(t => t.ToList())];
        }
        var summaries = new List<TraceSummary>();
        foreach (var trace in candidates)
        {
            if (!string.IsNullOrWhiteSpace(search) && !Matches(trace, search.Trim()))
            {
                continue;
            }
            var summary = Summarize(trace);
            if (includeBackground || !summary.IsBackground)
            {
                summaries.Add(summary);
            }
        }
        return [.. summaries.OrderByDescending(s => s.Start).Take(limit)];
    }

    public static TraceSummary Summarize(IReadOnlyList<SpanData> trace)
    {
        var ids = trace.Select(s => s.SpanId).ToHashSet(StringComparer.Ordinal);
        // The root: the span without a parent; while it has not arrived (it ends last), the earliest span stands in.
        var root = trace.Where(s => s.ParentSpanId is null).MinBy(s => s.StartUnixNanos)
            ?? trace.Where(s => s.ParentSpanId is not null && !ids.Contains(s.ParentSpanId)).MinBy(s => s.StartUnixNanos)
            ?? trace.MinBy(s => s.StartUnixNanos)!;
        var start = trace.Min(s => s.StartUnixNanos);
        var end = trace.Max(s => s.EndUnixNanos);
        // In the order they joined the trace: the path an order took (api, processor, notifier).
        var services = trace.OrderBy(s => s.StartUnixNanos).Select(s => s.Service).Distinct(StringComparer.Ordinal).ToList();
        var background = services.Count == 1 && root.Kind is "client" or "internal" && trace.All(s => s.Kind is "client" or "internal");
        return new TraceSummary(
            root.TraceId, root.Name, services, DateTimeOffset.UnixEpoch.AddTicks(start / 100),
            (end - start) / 1e6, trace.Count, trace.Count(s => s.IsError), background);
    }

    private static bool Matches(List<SpanData> trace, string search) =>
        trace[0].TraceId.StartsWith(search, StringComparison.OrdinalIgnoreCase) ||
        trace.Any(s =>
            s.Name.Contains(search, StringComparison.OrdinalIgnoreCase) ||
            s.Service.Equals(search, StringComparison.OrdinalIgnoreCase) ||
            s.Attributes.Any(a => a.Value.Contains(search, StringComparison.OrdinalIgnoreCase)));
}
