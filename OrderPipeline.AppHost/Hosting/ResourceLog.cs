using System.Threading.Channels;

namespace OrderPipeline.AppHost.Hosting;

/// <summary>One line a resource wrote, or a line the orchestrator wrote about it.</summary>
public sealed record LogLine(string Resource, DateTimeOffset Timestamp, string Text, bool IsError, bool IsSystem = false);

/// <summary>A resource's recent output: a bounded backlog plus live subscribers (console, tests, dashboard).</summary>
public sealed class ResourceLog(string resource, int capacity = 5000)
{
    private readonly Queue<LogLine> _backlog = new();
    private readonly List<Channel<LogLine>> _subscribers = [];
    private readonly Lock _gate = new();

    public event Action<LogLine>? LineWritten;

    public void Write(string text, bool isError = false, bool isSystem = false)
    {
        var line = new LogLine(resource, DateTimeOffset.UtcNow, text, isError, isSystem);
        lock (_gate)
        {
            _backlog.Enqueue(line);
            while (_backlog.Count > capacity)
            {
                _backlog.Dequeue();
            }
            foreach (var subscriber in _subscribers)
            {
                subscriber.Writer.TryWrite(line);
            }
        }
        LineWritten?.Invoke(line);
    }

    public IReadOnlyList<LogLine> Snapshot()
    {
        lock (_gate)
        {
            return [.. _backlog];
        }
    }

    /// <summary>Every line from now on (and the backlog first, when asked), until cancelled.</summary>
    public async IAsyncEnumerable<LogLine> WatchAsync(bool includeBacklog, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var channel = Channel.CreateUnbounded<LogLine>();
        IReadOnlyList<LogLine> backlog;
        lock (_gate)
        {
            backlog = includeBacklog ? [.. _backlog] : [];
            _subscribers.Add(channel);
        }
        try
        {
            foreach (var line in backlog)
            {
                yield return line;
            }
            await foreach (var line in channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return line;
            }
        }
        finally
        {
            lock (_gate)
            {
                _subscribers.Remove(channel);
            }
        }
    }
}
