using Microsoft.Extensions.Options;
using OrderPipeline.Messaging.Publishing;

namespace OrderPipeline.Processor.Outbox;

/// <summary>
/// Publishes what the handlers could not: events whose process crashed between commit and publish, or whose queue
/// was down. Each pass claims a batch (a lease, committed at once), sends it with no transaction open, then records
/// the outcome: sent rows published, failed rows counted and backed off. Nothing committed to the outbox is lost; a
/// row that cannot be sent only delays itself; several Processors share the backlog through the leases.
/// </summary>
public sealed partial class OutboxRelay(
    OutboxClaims claims,
    IEventPublisher publisher,
    OutboxTelemetry telemetry,
    IOptions<OutboxOptions> options,
    TimeProvider clock,
    ILogger<OutboxRelay> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.BackgroundRelay)
        {
            LogBackgroundRelayOff(logger);
            return;
        }
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(Math.Max(0.1, options.Value.RelayIntervalSeconds)), clock);
        while (await WaitAsync(timer, stoppingToken).ConfigureAwait(false))
        {
            try
            {
                // A full batch means more is probably waiting (after an outage): claim again rather than wait a tick.
                RelayPass pass;
                do
                {
                    pass = await RelayOnceAsync(stoppingToken).ConfigureAwait(false);
                }
                while (pass.Claimed >= options.Value.BatchSize && !stoppingToken.IsCancellationRequested);

                await MeasureBacklogAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                LogRelayFailed(logger, ex);
            }
        }
    }

    /// <summary>Claims one batch, sends it and records the outcome.</summary>
    public async Task<RelayPass> RelayOnceAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var now = clock.GetUtcNow().UtcDateTime;
        var token = Guid.NewGuid().ToString();
        var claimed = await claims.ClaimAsync(
            token, now, now - TimeSpan.FromSeconds(settings.GraceSeconds), now + TimeSpan.FromSeconds(settings.LeaseSeconds),
            Math.Max(1, settings.BatchSize), cancellationToken).ConfigureAwait(false);
        if (claimed.Count == 0)
        {
            return RelayPass.None;
        }

        // No transaction is open here: however slow SQS is, nothing waits on us but our own claimed rows.
        var results = await publisher.SendBatchAsync([.. claimed.Select(m => m.ToOutgoing())], cancellationToken).ConfigureAwait(false);

        var sent = new List<long>(claimed.Count);
        var failed = new List<(OutboxMessage Message, string Error)>();
        for (var i = 0; i < claimed.Count; i++)
        {
            if (results[i].Sent)
            {
                sent.Add(claimed[i].Id);
            }
            else
            {
                failed.Add((claimed[i], results[i].Error!));
            }
        }
        var after = clock.GetUtcNow().UtcDateTime;
        await claims.MarkPublishedAsync(sent, after, cancellationToken).ConfigureAwait(false);
        foreach (var (message, error) in failed)
        {
            var retryAt = after + OutboxBackoff.Delay(message.Attempts + 1, settings);
            LogSendFailed(logger, message.Id, message.Destination, message.Attempts + 1, retryAt, error);
            await claims.ReleaseFailedAsync(message.Id, token, error, retryAt, cancellationToken).ConfigureAwait(false);
        }

        telemetry.RecordPass(sent.Count, failed.Count);
        if (sent.Count > 0)
        {
            LogRelayed(logger, sent.Count);
        }
        return new RelayPass(claimed.Count, sent.Count, failed.Count);
    }

    /// <summary>Updates the age of the oldest unpublished row, the figure an alarm watches.</summary>
    /// <returns>That age (zero when nothing is unpublished).</returns>
    public async Task<TimeSpan> MeasureBacklogAsync(CancellationToken cancellationToken)
    {
        var oldest = await claims.OldestUnpublishedAsync(cancellationToken).ConfigureAwait(false);
        var now = clock.GetUtcNow().UtcDateTime;
        telemetry.RecordOldestUnpublished(oldest, now);
        return oldest is { } createdAt && now > createdAt ? now - createdAt : TimeSpan.Zero;
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    [LoggerMessage(LogLevel.Information, "The outbox relay's own loop is off (Outbox:BackgroundRelay); a scheduled relay-outbox invocation runs it")]
    private static partial void LogBackgroundRelayOff(ILogger logger);

    [LoggerMessage(LogLevel.Information, "Outbox relay published {Count} message(s) left behind")]
    private static partial void LogRelayed(ILogger logger, int count);

    [LoggerMessage(LogLevel.Warning, "Outbox message {OutboxId} to {Destination} failed to send (attempt {Attempt}); next try at {RetryAt:O}: {Error}")]
    private static partial void LogSendFailed(ILogger logger, long outboxId, string destination, int attempt, DateTime retryAt, string error);

    [LoggerMessage(LogLevel.Warning, "Outbox relay pass failed; it will try again")]
    private static partial void LogRelayFailed(ILogger logger, Exception exception);
}
