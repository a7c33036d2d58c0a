namespace OrderPipeline.AppHost.Dashboard.Telemetry;

/// <summary>The most recent structured log records, at most <paramref name="capacity"/>, oldest dropped first.</summary>
public sealed class LogStore(ChangeFeed changes, int capacity = 10_000)
{
    private readonly Lock _gate = new();
    private readonly Queue<LogEntry> _entries = new();
    private long _sequence;

    public void Add(IReadOnlyList<LogEntry> entries)
    {
        if (entries.Count == 0)
        {
            return;
        }
        lock (_gate)
        {
            foreach (var entry in entries)
            {
                entry.Sequence = ++_sequence;
                _entries.Enqueue(entry);
                if (_entries.Count > capacity)
                {
                    _entries.Dequeue();
                }
            }
        }
        changes.Touch("logs");
    }

    /// <summary>Newest first, filtered by service, minimum severity, trace and text (message or attribute values).</summary>
    public IReadOnlyList<LogEntry> Query(string? service, int minSeverity, string? traceId, string? text, int limit)
    {
        LogEntry[] all;
        lock (_gate)
        {
            all = [.. _entries];
        }
        var matching = new List<LogEntry>(Math.Min(limit, all.Length));
        for (var i = all.Length - 1; i >= 0 && matching.Count < limit; i--)
        {
            var entry = all[i];
            if ((string.IsNullOrEmpty(service) || entry.Service == service) &&
                entry.Severity >= minSeverity &&
                (string.IsNullOrEmpty(traceId) || entry.TraceId == traceId) &&
                (string.IsNullOrEmpty(text) ||
                    entry.Message.Contains(text, StringComparison.OrdinalIgnoreCase) ||
                    entry.Category.Contains(text, StringComparison.OrdinalIgnoreCase) ||
                    entry.Attributes.Any(a => a.Value.Contains(text, StringComparison.OrdinalIgnoreCase))))
            {
                matching.Add(entry);
            }
        }
        return matching;
    }
}
