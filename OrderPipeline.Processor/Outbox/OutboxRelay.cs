using Microsoft.Extensions.Options;
using MySqlConnector;

namespace OrderPipeline.Processor.Outbox;

/// <summary>
/// Publishes what the handlers could not: events whose process crashed between commit and publish,
/// or whose queue was down. Nothing committed to the outbox is ever lost.
/// </summary>
public sealed partial class OutboxRelay(
    MySqlDataSource dataSource,
    OutboxPublisher publisher,
    IOptions<OutboxOptions> options,
    TimeProvider clock,
    ILogger<OutboxRelay> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(Math.Max(0.1, options.Value.RelayIntervalSeconds)), clock);
        while (await WaitAsync(timer, stoppingToken).ConfigureAwait(false))
        {
            try
            {
                var published = await RelayOnceAsync(stoppingToken).ConfigureAwait(false);
                if (published > 0)
                {
                    LogRelayed(logger, published);
                }
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                LogRelayFailed(logger, ex);
            }
        }
    }

    /// <returns>How many messages were published.</returns>
    public async Task<int> RelayOnceAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var olderThan = clock.GetUtcNow().UtcDateTime - TimeSpan.FromSeconds(settings.GraceSeconds);
        var pending = await OutboxStore.LockUnpublishedAsync(connection, transaction, olderThan, settings.BatchSize, cancellationToken).ConfigureAwait(false);
        var published = 0;
        foreach (var message in pending)
        {
            if (await publisher.TrySendAsync(message, cancellationToken).ConfigureAwait(false))
            {
                await OutboxStore.MarkPublishedAsync(connection, transaction, message.Id, clock.GetUtcNow().UtcDateTime, cancellationToken).ConfigureAwait(false);
                published++;
            }
            else
            {
                await OutboxStore.MarkFailedAttemptAsync(connection, transaction, message.Id, cancellationToken).ConfigureAwait(false);
            }
        }
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return published;
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

    [LoggerMessage(LogLevel.Information, "Outbox relay published {Count} message(s) left behind")]
    private static partial void LogRelayed(ILogger logger, int count);

    [LoggerMessage(LogLevel.Warning, "Outbox relay pass failed; it will try again")]
    private static partial void LogRelayFailed(ILogger logger, Exception exception);
}
