namespace OrderPipeline.AppHost.Lambda.EventSources;

/// <summary>What an event source has done since it started, counted by its poller loops (safe across them).</summary>
internal sealed class SqsEventSourceCounters
{
    private long _batchesInvoked;
    private long _messagesDeleted;
    private long _messagesLeftForRetry;
    private long _failedInvocations;

    /// <summary>The counts at one moment.</summary>
    public sealed record Snapshot(long BatchesInvoked, long MessagesDeleted, long MessagesLeftForRetry, long FailedInvocations);

    public Snapshot Read() => new(Interlocked.Read(ref _batchesInvoked), Interlocked.Read(ref _messagesDeleted),
        Interlocked.Read(ref _messagesLeftForRetry), Interlocked.Read(ref _failedInvocations));

    public void BatchInvoked() => Interlocked.Increment(ref _batchesInvoked);

    public void InvocationFailed() => Interlocked.Increment(ref _failedInvocations);

    public void Deleted(int count) => Interlocked.Add(ref _messagesDeleted, count);

    public void LeftForRetry(int count) => Interlocked.Add(ref _messagesLeftForRetry, count);
}
