using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using MySqlConnector;

namespace OrderPipeline.Data.Retention;

/// <summary>
/// Which rows of a table have expired: those whose <paramref name="TimestampColumn"/> is older than
/// <paramref name="Retention"/>. A NULL timestamp is never "older", so rows without one (an outbox row still owed to
/// a queue) are never deleted. The table and column are the service's own constants, never input.
/// </summary>
/// <param name="Table">The table.</param>
/// <param name="TimestampColumn">The indexed column whose age decides.</param>
/// <param name="Retention">How long a row is kept after its timestamp.</param>
/// <param name="Interval">How often the background cleanup runs a pass.</param>
/// <param name="BatchSize">Rows per DELETE: small, so each statement's locks and undo stay short next to live traffic.</param>
/// <param name="MaxBatchesPerPass">DELETEs per pass at most, so that a backlog is worked off over several passes and a
/// pass fits inside whatever runs it (a scheduled function has a timeout).</param>
public sealed record ExpiredRows(
    string Table, string TimestampColumn, TimeSpan Retention, TimeSpan Interval, int BatchSize, int MaxBatchesPerPass = 20);

/// <summary>
/// The one retention mechanism: deletes a table's expired rows in bounded passes, at start and then every
/// <see cref="ExpiredRows.Interval"/>, each DELETE committing on its own and walking the timestamp's index oldest first.
/// Several instances may run it at once; they delete the same rows at worst.
/// </summary>
public sealed partial class ExpiredRowsCleanup(
    MySqlDataSource dataSource,
    ExpiredRows rows,
    TimeProvider clock,
    ILogger<ExpiredRowsCleanup> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(rows.Interval > TimeSpan.Zero ? rows.Interval : TimeSpan.FromMinutes(15), clock);
        do
        {
            try
            {
                var deleted = await DeleteExpiredAsync(stoppingToken).ConfigureAwait(false);
                if (deleted > 0)
                {
                    LogDeleted(logger, deleted, rows.Table, rows.Retention.TotalDays);
                }
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                LogCleanupFailed(logger, ex, rows.Table);
            }
        }
        while (await WaitAsync(timer, stoppingToken).ConfigureAwait(false));
    }

    /// <summary>One pass: at most <see cref="ExpiredRows.MaxBatchesPerPass"/> DELETEs of <see cref="ExpiredRows.BatchSize"/> rows.</summary>
    /// <returns>How many rows were deleted.</returns>
    public async Task<int> DeleteExpiredAsync(CancellationToken cancellationToken)
    {
        var cutoff = clock.GetUtcNow().UtcDateTime - rows.Retention;
        var batch = Math.Max(1, rows.BatchSize);
        var sql = $"DELETE FROM {rows.Table} WHERE {rows.TimestampColumn} < @Cutoff ORDER BY {rows.TimestampColumn} LIMIT @Batch";
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var total = 0;
        for (var statements = 0; statements < Math.Max(1, rows.MaxBatchesPerPass); statements++)
        {
            var deleted = await connection.ExecuteAsync(
                new CommandDefinition(sql, new { Cutoff = cutoff, Batch = batch }, cancellationToken: cancellationToken)).ConfigureAwait(false);
            total += deleted;
            if (deleted < batch)
            {
                break;
            }
        }
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

    [LoggerMessage(LogLevel.Information, "Deleted {Count} row(s) of {Table} older than {Days} day(s)")]
    private static partial void LogDeleted(ILogger logger, int count, string table, double days);

    [LoggerMessage(LogLevel.Warning, "Cleaning up {Table} failed; it will try again")]
    private static partial void LogCleanupFailed(ILogger logger, Exception exception, string table);
}

/// <summary>Registers <see cref="ExpiredRowsCleanup"/>.</summary>
public static class ExpiredRowsCleanupExtensions
{
    /// <summary>Deletes the expired rows <paramref name="rows"/> describes, in the background; also resolvable, to run a pass on demand.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="rows">The table's retention, read from the service's options.</param>
    public static IServiceCollection AddExpiredRowsCleanup(this IServiceCollection services, Func<IServiceProvider, ExpiredRows> rows)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(rows);
        services.AddSingleton(sp => new ExpiredRowsCleanup(
            sp.GetRequiredService<MySqlDataSource>(), rows(sp), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<ExpiredRowsCleanup>>()));
        services.AddHostedService(sp => sp.GetRequiredService<ExpiredRowsCleanup>());
        return services;
    }
}
