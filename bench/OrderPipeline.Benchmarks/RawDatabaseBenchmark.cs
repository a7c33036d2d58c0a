using System.Data;
using System.Diagnostics;
using Dapper;
using MySqlConnector;

namespace OrderPipeline.Benchmarks;

/// <summary>One connection level of the raw database measurement.</summary>
public sealed record RawDatabaseResult(int Connections, int Orders, double OrdersPerSecond);

/// <summary>Which order transaction the raw database measurement runs.</summary>
public enum RawTransaction
{
    /// <summary>The Processor's own statements: the system's transaction without the system around it.</summary>
    Project,

    /// <summary>The least an order needs: its row, its products locked and decremented, commit (the target's denominator).</summary>
    Minimal,
}

/// <summary>
/// The database's own limit for this workload, one order per transaction straight against the system's MariaDB with no
/// queue or service in between: the Processor's order transaction (same statements, same isolation, same lock order),
/// which bounds what the whole system settles, and the minimal order transaction, which bounds what any implementation
/// of the pipeline could settle on this database.
/// </summary>
public sealed class RawDatabaseBenchmark(string connectionString, BenchmarkProgress progress)
{
    private const int Products = 20;

    /// <summary>The minimal transaction's catalogue: 1-3 products an order out of this many, so orders seldom wait on each other's locks.</summary>
    public const int MinimalProducts = 1000;

    public Task<IReadOnlyList<RawDatabaseResult>> RunAsync(IReadOnlyList<int> connectionLevels, int orders, CancellationToken cancellationToken) =>
        RunAsync(RawTransaction.Project, connectionLevels, orders, cancellationToken);

    public async Task<IReadOnlyList<RawDatabaseResult>> RunAsync(
        RawTransaction transaction, IReadOnlyList<int> connectionLevels, int orders, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connectionLevels);
        var run = Guid.NewGuid().ToString("N")[..8];
        var minimal = transaction == RawTransaction.Minimal;
        // Fixed width, so that ordinal order (the key's binary collation) is numeric order.
        var productIds = Enumerable.Range(0, minimal ? MinimalProducts : Products).Select(i => $"R-{run}-{i:0000}").ToArray();
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
            progress.Begin($"raw database{(minimal ? ", minimal transaction" : "")}, {connections} connection{(connections == 1 ? "" : "s")}", orders);
            var next = -1;
            var clock = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, connections).Select(async _ =>
            {
                while (Interlocked.Increment(ref next) < orders)
                {
                    await (minimal
                        ? MinimalTransactionAsync(dataSource, $"raw-{run}", productIds, cancellationToken)
                        : OrderTransactionAsync(dataSource, $"raw-{run}", productIds[next % Products], cancellationToken));
                    progress.Increment();
                }
            }));
            var elapsed = clock.Elapsed;
            progress.End();
            results.Add(new RawDatabaseResult(connections, orders, orders / elapsed.TotalSeconds));
        }
        return results;
    }

    /// <summary>
    /// The minimal order transaction: insert the order, lock 1-3 random products in key order (so two orders never wait on
    /// each other in a cycle), decrement each, commit. Plain parameterised SQL that MariaDB 10.11 and MySQL 8.4 both run.
    /// </summary>
    private static async Task MinimalTransactionAsync(MySqlDataSource dataSource, string customerId, string[] productIds, CancellationToken cancellationToken)
    {
        var items = Random.Shared.GetItems(productIds, Random.Shared.Next(1, 4)).Distinct().Order(StringComparer.Ordinal).ToArray();
        var orderId = Guid.CreateVersion7().ToString();
        var now = DateTime.UtcNow;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // Recorded settled at once, as the Processor records it: nothing else ever sees it pending.
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO orders (order_id, customer_id, items, status, created_at, processed_at)
            VALUES (@OrderId, @CustomerId, @Items, 'PROCESSED', @Now, @Now)
            """,
            new
            {
                OrderId = orderId,
                CustomerId = customerId,
                Items = "[" + string.Join(',', items.Select(id => $$"""{"product_id":"{{id}}","quantity":1}""")) + "]",
                Now = now,
            },
            transaction, cancellationToken: cancellationToken));
        await connection.QueryAsync<(string, int)>(new CommandDefinition(
            "SELECT product_id, quantity_available FROM inventory WHERE product_id IN @Items ORDER BY product_id FOR UPDATE",
            new { Items = items }, transaction, cancellationToken: cancellationToken));
        foreach (var item in items)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE inventory SET quantity_available = quantity_available - @Quantity WHERE product_id = @ProductId",
                new { Quantity = 1, ProductId = item }, transaction, cancellationToken: cancellationToken));
        }
        await transaction.CommitAsync(cancellationToken);
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
