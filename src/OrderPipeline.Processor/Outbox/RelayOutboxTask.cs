using System.Diagnostics;
using OrderPipeline.Messaging.Consuming;
using OrderPipeline.Aws;
using OrderPipeline.Data.Retention;

namespace OrderPipeline.Processor.Outbox;

/// <summary>
/// The relay as a schedule runs it in AWS Lambda (every minute, <c>{"orderpipeline":"relay-outbox"}</c>): passes until
/// the backlog is drained or the time budget is spent, one bounded retention pass, and the age of the oldest
/// unpublished row as a CloudWatch metric, which an alarm watches (no figure at all also alarms: no relay).
/// </summary>
public sealed class RelayOutboxTask(OutboxRelay relay, ExpiredRowsCleanup cleanup, EmbeddedMetrics metrics, TimeProvider clock) : IScheduledTask
{
    public const string TaskName = "relay-outbox";
    public const string OldestUnpublishedAgeMetric = "outbox.oldest_unpublished_age";

    // Well inside the function's 30 s timeout, whatever one pass costs.
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(20);

    public string Name => TaskName;

    public async Task<string> RunAsync(CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        int published = 0, failed = 0;
        RelayPass pass;
        do
        {
            pass = await relay.RelayOnceAsync(cancellationToken).ConfigureAwait(false);
            published += pass.Published;
            failed += pass.Failed;
        }
        while (pass.Claimed > 0 && pass.Failed < pass.Claimed && Stopwatch.GetElapsedTime(started) < Budget);

        var deleted = await cleanup.DeleteExpiredAsync(cancellationToken).ConfigureAwait(false);
        var oldest = await relay.MeasureBacklogAsync(cancellationToken).ConfigureAwait(false);
        metrics.Write(OldestUnpublishedAgeMetric, oldest.TotalSeconds, "Seconds", clock.GetUtcNow());
        return $"published {published}, failed {failed}, deleted {deleted} expired, oldest unpublished {oldest.TotalSeconds:0} s";
    }
}
