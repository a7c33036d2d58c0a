using Dapper;
using Microsoft.Extensions.Options;
using MySqlConnector;

namespace OrderPipeline.Processor.Outbox;

/// <summary>
/// Deletes published outbox rows once they are older than the retention period, a small batch per statement.
/// Unpublished rows are never touched, however old: they are events still owed to a queue.
/// </summary>
public sealed partial class OutboxCleanup(
    MySqlDataSource dataSource,
    IOptions<OutboxRetentionOptions> options,
    TimeProvider clock,
    ILogger<OutboxCleanup> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMinutes(Math.Max(0.01, options.Value.CleanupIntervalMinutes)), clock);
        do
        {
            try
            {
                var deleted = await DeleteExpiredAsync(stoppingToken).ConfigureAwait(false);
                if (deleted > 0)
                {
                    LogDeleted(logger, deleted, options.Value.PublishedRetentionDays);
                }
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                LogCleanupFailed(logger, ex);
            }
        }
        while (await WaitAsync(timer, stoppingToken).ConfigureAwait(false));
    }

    /// <returns>How many rows were deleted.</returns>
    public async Task<int> DeleteExpiredAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var cutoff = clock.GetUtcNow().UtcDateTime - TimeSpan.FromDays(settings.PublishedRetentionDays);
        var batch = Math.Max(1, settings.DeleteBatchSize);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var total = 0;
        int deleted;
        do
        {
            // Each DELETE commits on its own (autocommit) and ranges over published_at in ix_outbox_relay; NULL (unpublished)
            // is never "< cutoff".
            deleted = await connection.ExecuteAsync(new CommandDefinition(
                "DELETE FROM outbox WHERE published_at < @Cutoff ORDER BY published_at LIMIT @Batch",
                new { Cutoff = cutoff, Batch = batch }, cancellationToken: cancellationToken)).ConfigureAwait(false);
            total += deleted;
        }
        while (deleted == batch);
        return total;
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

    [LoggerMessage(LogLevel.Information, "Deleted {Count} outbox row(s) published more than {Days} day(s) ago")]
    private static partial void LogDeleted(ILogger logger, int count, double days);

    [LoggerMessage(LogLevel.Warning, "Outbox cleanup failed; it will try again")]
    private static partial void LogCleanupFailed(ILogger logger, Exception exception);
}
