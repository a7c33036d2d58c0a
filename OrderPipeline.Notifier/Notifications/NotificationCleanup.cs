using Dapper;
using Microsoft.Extensions.Options;
using MySqlConnector;

namespace OrderPipeline.Notifier.Notifications;

/// <summary>Deletes notification records older than the retention period, a small batch per statement.</summary>
public sealed partial class NotificationCleanup(
    MySqlDataSource dataSource,
    IOptions<NotificationRetentionOptions> options,
    TimeProvider clock,
    ILogger<NotificationCleanup> logger) : BackgroundService
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
                    LogDeleted(logger, deleted, options.Value.RetentionDays);
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
        var cutoff = clock.GetUtcNow().UtcDateTime - TimeSpan.FromDays(settings.RetentionDays);
        var batch = Math.Max(1, settings.DeleteBatchSize);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var total = 0;
        int deleted;
        do
        {
            // Each DELETE commits on its own (autocommit) and ranges over ix_notifications_notified_at.
            deleted = await connection.ExecuteAsync(new CommandDefinition(
                "DELETE FROM notifications WHERE notified_at < @Cutoff ORDER BY notified_at LIMIT @Batch",
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

    [LoggerMessage(LogLevel.Information, "Deleted {Count} notification record(s) older than {Days} day(s)")]
    private static partial void LogDeleted(ILogger logger, int count, double days);

    [LoggerMessage(LogLevel.Warning, "Notification cleanup failed; it will try again")]
    private static partial void LogCleanupFailed(ILogger logger, Exception exception);
}
