using Dapper;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Hosting;
using MySqlConnector;
using OrderPipeline.Notifier.Notifications;
using OrderPipeline.Processor.Outbox;
using OrderPipeline.FunctionalTests.Support;
using OrderPipeline.Data.Retention;

namespace OrderPipeline.FunctionalTests.Integration;

/// <summary>The retention cleanups against the real MariaDB: old history goes, anything still needed stays.</summary>
[Collection(InfrastructureCollection.Name)]
public sealed class RetentionTests(InfrastructureFixture infra)
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private async Task<long> AddOutboxRowAsync(MySqlConnection connection, int createdDaysAgo, int? publishedDaysAgo) =>
        await connection.ExecuteScalarAsync<long>(
            """
            INSERT INTO outbox (message_id, destination, event_type, payload, created_at, published_at)
            VALUES (@messageId, 'order-processed', 'OrderProcessed', '{}',
                    UTC_TIMESTAMP(6) - INTERVAL @createdDaysAgo DAY,
                    CASE WHEN @publishedDaysAgo IS NULL THEN NULL ELSE UTC_TIMESTAMP(6) - INTERVAL @publishedDaysAgo DAY END);
            SELECT LAST_INSERT_ID();
            """,
            new { messageId = Guid.NewGuid().ToString(), createdDaysAgo, publishedDaysAgo });

    private static async Task<string> AddNotificationAsync(MySqlConnection connection, int daysAgo)
    {
        var orderId = Guid.NewGuid().ToString();
        await connection.ExecuteAsync(
            "INSERT INTO notifications (order_id, status, notified_at) VALUES (@orderId, 'PROCESSED', UTC_TIMESTAMP(6) - INTERVAL @daysAgo DAY)",
            new { orderId, daysAgo });
        return orderId;
    }

    [Fact]
    public async Task Published_outbox_rows_past_retention_are_deleted_in_batches_and_unpublished_or_recent_rows_never()
    {
        await using var dataSource = new MySqlDataSource(infra.Database.ConnectionString);
        await using var connection = await dataSource.OpenConnectionAsync(Cancel);
        long[] expired = [await AddOutboxRowAsync(connection, 20, 8), await AddOutboxRowAsync(connection, 9, 8), await AddOutboxRowAsync(connection, 30, 29)];
        var recent = await AddOutboxRowAsync(connection, 6, 6);
        // Still owed to a queue, however old: never deleted. Leased far ahead so no relay of another test sends it meanwhile.
        var unpublished = await AddOutboxRowAsync(connection, 60, null);
        await connection.ExecuteAsync(
            "UPDATE outbox SET claimed_by = 'retention-test', claimed_until = UTC_TIMESTAMP(6) + INTERVAL 1 DAY"
                + " WHERE id = @unpublished",
            new { unpublished });
        try
        {
            // A batch of one row: the cleanup must keep going until nothing expired is left.
            var cleanup = new ExpiredRowsCleanup(dataSource, new OutboxRetentionOptions { PublishedRetentionDays = 7, DeleteBatchSize = 1 }.ExpiredRows,
                TimeProvider.System, NullLogger<ExpiredRowsCleanup>.Instance);

            Assert.True(await cleanup.DeleteExpiredAsync(Cancel) >= expired.Length);

            Assert.Equal(0, await infra.Database.CountAsync("SELECT COUNT(*) FROM outbox WHERE id IN @expired", new { expired }));
            Assert.Equal(2, await infra.Database.CountAsync("SELECT COUNT(*) FROM outbox WHERE id IN (@recent, @unpublished)", new { recent, unpublished }));
        }
        finally
        {
            await connection.ExecuteAsync("DELETE FROM outbox WHERE id IN (@recent, @unpublished)", new { recent, unpublished });
        }
    }

    [Fact]
    public async Task Notifications_older_than_their_retention_are_deleted_and_those_sqs_could_still_redeliver_are_kept()
    {
        await using var dataSource = new MySqlDataSource(infra.Database.ConnectionString);
        await using var connection = await dataSource.OpenConnectionAsync(Cancel);
        string[] expired = [await AddNotificationAsync(connection, 31), await AddNotificationAsync(connection, 90)];
        // 15 days: past SQS's longest retention (14), still inside ours (30): kept.
        string[] kept = [await AddNotificationAsync(connection, 15), await AddNotificationAsync(connection, 0)];
        var cleanup = new ExpiredRowsCleanup(dataSource, new NotificationRetentionOptions { DeleteBatchSize = 1 }.ExpiredRows,
            TimeProvider.System, NullLogger<ExpiredRowsCleanup>.Instance);

        Assert.True(await cleanup.DeleteExpiredAsync(Cancel) >= expired.Length);

        Assert.Equal(0, await infra.Database.CountAsync("SELECT COUNT(*) FROM notifications WHERE order_id IN @expired", new { expired }));
        Assert.Equal(kept.Length, await infra.Database.CountAsync("SELECT COUNT(*) FROM notifications WHERE order_id IN @kept", new { kept }));
    }

    [Fact]
    public async Task A_pass_deletes_at_most_its_cap_and_the_next_passes_work_off_the_rest()
    {
        await using var dataSource = new MySqlDataSource(infra.Database.ConnectionString);
        await using var connection = await dataSource.OpenConnectionAsync(Cancel);
        var expired = new List<string>();
        for (var i = 0; i < 7; i++)
        {
            expired.Add(await AddNotificationAsync(connection, 40));
        }
        var rows = new NotificationRetentionOptions { DeleteBatchSize = 2 }.ExpiredRows with { MaxBatchesPerPass = 2 };
        var cleanup = new ExpiredRowsCleanup(dataSource, rows, TimeProvider.System, NullLogger<ExpiredRowsCleanup>.Instance);

        // Two DELETEs of two rows, however large the backlog: a scheduled relay's pass must fit in its timeout.
        Assert.Equal(4, await cleanup.DeleteExpiredAsync(Cancel));
        Assert.True(await infra.Database.CountAsync("SELECT COUNT(*) FROM notifications WHERE order_id IN @expired", new { expired }) >= 3);

        for (var pass = 0; pass < 10 && await cleanup.DeleteExpiredAsync(Cancel) > 0; pass++)
        {
        }
        Assert.Equal(0, await infra.Database.CountAsync("SELECT COUNT(*) FROM notifications WHERE order_id IN @expired", new { expired }));
    }
}
