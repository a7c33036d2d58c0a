using Microsoft.Extensions.Options;

namespace OrderPipeline.Api.Idempotency;

/// <summary>
/// Deletes expired Idempotency-Keys now and then, in bounded batches, so that the table stays the size of one
/// retention period. Only housekeeping: an expired key that is still there is treated as absent. Several Api
/// instances may run it at once; they delete the same rows at worst. In Lambda it runs while the function is warm.
/// </summary>
public sealed partial class ExpiredKeyCleanup(IdempotencyKeyStore keys, IOptions<IdempotencyOptions> options, TimeProvider clock, ILogger<ExpiredKeyCleanup> logger) : BackgroundService
{
    // Bounds one round, so that a huge backlog is worked off over several rounds instead of in one long loop.
    private const int MaxBatchesPerRound = 100;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        using var timer = new PeriodicTimer(settings.CleanupInterval, clock);
        do
        {
            try
            {
                var deleted = 0;
                for (var batch = 0; batch < MaxBatchesPerRound; batch++)
                {
                    var count = await keys.DeleteExpiredAsync(settings.CleanupBatchSize, stoppingToken);
                    deleted += count;
                    if (count < settings.CleanupBatchSize)
                    {
                        break;
                    }
                }
                if (deleted > 0)
                {
                    LogDeleted(logger, deleted);
                }
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                // The database may be down; the next round tries again. An exception leaving ExecuteAsync would stop the host.
                LogFailed(logger, ex);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    [LoggerMessage(LogLevel.Information, "Deleted {Count} expired Idempotency-Keys")]
    private static partial void LogDeleted(ILogger logger, int count);

    [LoggerMessage(LogLevel.Warning, "Deleting expired Idempotency-Keys failed; trying again at the next round")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
