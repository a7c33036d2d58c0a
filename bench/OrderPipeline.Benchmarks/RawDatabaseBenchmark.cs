using System.Data;
using System.Diagnostics;
using Dapper;
using MySqlConnector;

namespace OrderPipeline.Benchmarks;

/// <summary>One connection level of the raw database measurement.</summary>
public sealed record RawDatabaseResult(int Connections, int Orders, double OrdersPerSecond);

/// <summary>
/// The database's own limit for this workload: the Processor's order transaction (same statements, same isolation,
/// same lock order), one order per transaction, straight against the system's MariaDB with no queue or service in
/// between. Whatever the whole system settles is bounded by this.
/// </summary>
public sealed class RawDatabaseBenchmark(string connectionString, BenchmarkProgress progress)
{
    private const int Products = 20;

    public async Task<IReadOnlyList<RawDatabaseResult>> RunAsync(IReadOnlyList<int> connectionLevels, int orders, CancellationToken cancellationToken)
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        var productIds = Enumerable.Range(0, Products).Select(i => $"R-{run}-{i:00}").ToArray();
        // A pooled data source, as the Processor uses: opening a connection per transaction is part of the shape.
        await using var dataSource = new MySqlDataSource(connectionString);
        await using (var connection = await dataSource.OpenConnectionAsync(cancellationToken))
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO inventory (product_id, product_name, quantity_available) VALUES (@Id, 'raw bench', 1000000000)",
                productIds.Select(id => new { Id = id }), cancellationToken: cancellationToken));
        }

        var results = new List<RawDatabaseResult>();
        foreach (var connections in connectionLevels)
        {
            progress.Begin($"raw database, {connections} connection{(connections == 1 ? "" : "s")}", orders);
            var next = -1;
            var clock = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, connections).Select(async _ =>
            {
                while (Interlocked.Increment(ref next) < orders)
                {
                    await OrderTransactionAsync(dataSource, $"raw-{run}", productIds[next % Products], cancellationToken);
                    progress.Increment();
                }
            }));
            var elapsed = clock.Elapsed;
            progress.End();
            results.Add(new RawDatabaseResult(connections, orders, orders / elapsed.TotalSeconds));
        }
        return results;
    }

    /// <summary>The statements of OrderPipeline.Processor/Orders/OrderTransaction.cs for a new one-line order that is in stock.</summary>
    private static async Task OrderTransactionAsync(MySqlDataSource dataSource, string customerId, string productId, CancellationToken cancellationToken)
    {
        var orderId = Guid.CreateVersion7().ToString();
        var now = DateTime.UtcNow;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "SET SESSION innodb_lock_wait_timeout = @Seconds", new { Seconds = 5 }, cancellationToken: cancellationToken));
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken);
        await connection.QuerySingleOrDefaultAsync<string>(new CommandDefinition(
            "SELECT status FROM orders WHERE order_id = @OrderId FOR UPDATE", new { OrderId = orderId }, transaction, cancellationToken: cancellationToken));
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO orders (order_id, customer_id, items, status, created_at) VALUES (@OrderId, @CustomerId, @Items, 'PENDING', @CreatedAt)",
            new { OrderId = orderId, CustomerId = customerId, Items = $$"""[{"product_id":"{{productId}}","quantity":1}]""", CreatedAt = now },
            transaction, cancellationToken: cancellationToken));
        await connection.QueryAsync<(string, int)>(new CommandDefinition(
            "SELECT product_id, quantity_available FROM inventory WHERE product_id IN @ProductIds ORDER BY product_id FOR UPDATE",
            new { ProductIds = new[] { productId } }, transaction, cancellationToken: cancellationToken));
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE inventory SET quantity_available = quantity_available - @Quantity WHERE product_id = @ProductId",
            new { Quantity = 1, ProductId = productId }, transaction, cancellationToken: cancellationToken));
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE orders SET status = @Status, failure_reason = @Reason, processed_at = @ProcessedAt WHERE order_id = @OrderId",
            new { Status = "PROCESSED", Reason = (string?)null, ProcessedAt = DateTime.UtcNow, OrderId = orderId },
            transaction, cancellationToken: cancellationToken));
        await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            // Written already published (the one difference from the Processor's statement): the running
            // Processor's outbox relay would otherwise pick these rows up and try to send them somewhere.
            """
            INSERT INTO outbox (message_id, destination, event_type, payload, traceparent, tracestate, created_at, published_at)
            VALUES (@MessageId, @Destination, @EventType, @Payload, @TraceParent, @TraceState, @CreatedAt, @CreatedAt);
            SELECT LAST_INSERT_ID();
            """,
            new
            {
                MessageId = orderId,
                Destination = "raw-bench",
                EventType = "OrderProcessed",
                Payload = $$"""{"order_id":"{{orderId}}","customer_id":"{{customerId}}","status":"PROCESSED"}""",
                TraceParent = (string?)null,
                TraceState = (string?)null,
                CreatedAt = now,
            },
            transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
    }
}
