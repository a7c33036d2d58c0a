using System.Data;
using System.Diagnostics;
using System.Text.Json;
using Dapper;
using Microsoft.Extensions.Options;
using MySqlConnector;
using OrderPipeline.Messaging.Events;
using OrderPipeline.Messaging.Sqs;
using OrderPipeline.Processor.Outbox;

namespace OrderPipeline.Processor.Orders;

/// <summary>What one delivery of OrderCreated did.</summary>
/// <param name="Settled">The OrderProcessed event this delivery committed; null when the order was already recorded.</param>
/// <param name="Unpublished">The outbox row still to publish, if any.</param>
public sealed record OrderOutcome(OrderProcessed? Settled, OutboxMessage? Unpublished)
{
    public bool WasDuplicate => Settled is null;
}

/// <summary>
/// The order transaction, where stock is locked: records the order, locks its inventory rows in product_id order,
/// decides, decrements, settles the order and writes OrderProcessed to the outbox, all in one commit.
/// </summary>
public sealed partial class OrderTransaction(
    MySqlDataSource dataSource,
    IOptions<QueueOptions> queues,
    ProcessorTelemetry telemetry,
    TimeProvider clock,
    ILogger<OrderTransaction> logger,
    IOptions<OrderTransactionOptions>? options = null)
{
    private readonly int _lockWaitTimeoutSeconds = (options?.Value ?? new OrderTransactionOptions()).LockWaitTimeoutSeconds;

    // MySQL and MariaDB agree on these numbers (unlike most others).
    private const int Deadlock = 1213;
    private const int LockWaitTimeout = 1205;
    private const int DuplicateKey = 1062;

    internal const int MaxAttempts = 5;

    public async Task<OrderOutcome> ExecuteAsync(OrderCreated order, CancellationToken cancellationToken)
    {
        // Set once the database refused the order's data: from then on the order is settled FAILED with this.
        StockDecision? refused = null;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await ExecuteOnceAsync(order, refused, cancellationToken).ConfigureAwait(false);
            }
            catch (MySqlException ex) when (IsTransient(ex.Number) && attempt < MaxAttempts)
            {
                // The transaction was rolled back (see ExecuteOnceAsync); a concurrent delivery of the same
                // order (duplicate key) is settled by the retry finding the order recorded.
                telemetry.RecordTransientRetry(ex.Number);
                LogTransientRetry(logger, order.OrderId, ex.Number, attempt);
                await Task.Delay(Backoff(attempt), clock, cancellationToken).ConfigureAwait(false);
            }
            catch (DataRefusedException ex)
            {
                // Every retry would fail the same way and the message would end in the DLQ, the order never
                // recorded. Settle it FAILED instead, in a fresh transaction that touches no stock. If even that
                // is refused, the error goes up (and the message to the DLQ): nothing else is left to try.
                LogDataRefused(logger, ex.InnerException!, order.OrderId, ex.Number);
                refused = new StockDecision(OrderStatus.Failed, DataErrors.Reason(ex.Number, ex.InnerException!.Message));
                attempt = 0;
            }
        }
    }

    internal static bool IsTransient(int errorNumber) => errorNumber is Deadlock or LockWaitTimeout or DuplicateKey;

    private const int MaxBackoffUnitMilliseconds = 25;

    private static TimeSpan Backoff(int attempt) =>
        TimeSpan.FromMilliseconds(Random.Shared.Next(5, MaxBackoffUnitMilliseconds) * (1 << Math.Min(attempt, 6)));

    /// <summary>The most the backoffs between <see cref="MaxAttempts"/> attempts can add up to.</summary>
    internal static TimeSpan MaxTotalBackoff =>
        TimeSpan.FromMilliseconds(Enumerable.Range(1, MaxAttempts - 1).Sum(attempt => MaxBackoffUnitMilliseconds * (1 << Math.Min(attempt, 6))));

    /// <param name="refused">When set, the order is recorded FAILED with this decision and its stock is not looked at.</param>
    private async Task<OrderOutcome> ExecuteOnceAsync(OrderCreated order, StockDecision? refused, CancellationToken cancellationToken)
    {
        using var activity = telemetry.ActivitySource.StartActivity("order transaction");
        activity?.SetTag("order.id", order.OrderId);

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        // Per transaction: a pooled connection's session is reset when it is taken again.
        await connection.ExecuteAsync(new CommandDefinition(
            "SET SESSION innodb_lock_wait_timeout = @Seconds", new { Seconds = _lockWaitTimeoutSeconds }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        // READ COMMITTED: the locking read of a not-yet-existing order takes no gap lock. Under REPEATABLE READ
        // every new (time-ordered) order id would gap-lock the end of the index, and concurrent inserts there
        // would deadlock each other. Correctness does not need more: every row we decide on is locked.
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken).ConfigureAwait(false);
        try
        {
            var outcome = await RunAsync(connection, transaction, order, refused, cancellationToken).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            activity?.SetTag("order.status", outcome.Settled?.Status.ToString() ?? "duplicate");
            return outcome;
        }
        catch (Exception ex)
        {
            // Explicit: after a lock wait timeout MySQL undoes only the statement, not the transaction.
            await transaction.RollbackAsync(CancellationToken.None).ConfigureAwait(false);
            if (refused is null && ex is MySqlException data && DataErrors.IsDeterministic(data.Number, connection.ServerVersion))
            {
                throw new DataRefusedException(data);
            }
            throw;
        }
    }

    private async Task<OrderOutcome> RunAsync(MySqlConnection connection, MySqlTransaction transaction, OrderCreated order, StockDecision? refused, CancellationToken cancellationToken)
    {
        var existing = await connection.QuerySingleOrDefaultAsync<string>(new CommandDefinition(
            "SELECT status FROM orders WHERE order_id = @OrderId FOR UPDATE",
            new { order.OrderId }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (existing is not null)
        {
            // A redelivery: the first delivery committed the order, its stock change and its event together.
            return new OrderOutcome(null, await OutboxStore.FindUnpublishedAsync(connection, transaction, order.OrderId, cancellationToken).ConfigureAwait(false));
        }

        var lines = StockCheck.Normalize(order.Items);
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO orders (order_id, customer_id, items, status, created_at)
            VALUES (@OrderId, @CustomerId, @Items, 'PENDING', @CreatedAt)
            """,
            new
            {
                order.OrderId,
                order.CustomerId,
                Items = JsonSerializer.Serialize(order.Items, EventJsonContext.Default.IReadOnlyListOrderLine),
                // A timestamp the column cannot hold must not stop a refused order from being recorded.
                CreatedAt = refused is null || order.Timestamp.Year is >= 1000 and <= 9999 ? order.Timestamp : clock.GetUtcNow().UtcDateTime,
            },
            transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);

        var decision = refused ?? await DecideAndTakeStockAsync(connection, transaction, lines, cancellationToken).ConfigureAwait(false);

        var settled = new OrderProcessed(order.OrderId, order.CustomerId, decision.Status, clock.GetUtcNow().UtcDateTime, order.Timestamp, decision.Reason);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE orders SET status = @Status, failure_reason = @Reason, processed_at = @ProcessedAt WHERE order_id = @OrderId",
            new { Status = decision.Accepted ? "PROCESSED" : "FAILED", settled.Reason, settled.ProcessedAt, order.OrderId },
            transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);

        var outbox = await OutboxStore.AddAsync(connection, transaction, new OutboxStore.NewMessage(
            // One OrderProcessed per order: its outbox id is the order id, so the table itself refuses a second.
            MessageId: order.OrderId,
            Destination: queues.Value.OrderProcessed,
            EventType: OrderProcessed.EventType,
            Payload: JsonSerializer.Serialize(settled, EventJsonContext.Default.OrderProcessed),
            TraceParent: Activity.Current?.Id,
            TraceState: Activity.Current?.TraceStateString,
            CreatedAt: settled.ProcessedAt), cancellationToken).ConfigureAwait(false);

        return new OrderOutcome(settled, outbox);
    }

    private static async Task<StockDecision> DecideAndTakeStockAsync(
        MySqlConnection connection, MySqlTransaction transaction, IReadOnlyList<OrderLine> lines, CancellationToken cancellationToken)
    {
        // One statement locks every row the order needs, in primary-key order, so two orders
        // touching the same products always queue up instead of deadlocking.
        var stock = (await connection.QueryAsync<(string ProductId, int Quantity)>(new CommandDefinition(
            "SELECT product_id, quantity_available FROM inventory WHERE product_id IN @ProductIds ORDER BY product_id FOR UPDATE",
            new { ProductIds = lines.Select(l => l.ProductId).ToArray() }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false))
            .ToDictionary(r => r.ProductId, r => r.Quantity, StringComparer.Ordinal);

        var decision = StockCheck.Decide(lines, stock);
        if (decision.Accepted)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE inventory SET quantity_available = quantity_available - @Quantity WHERE product_id = @ProductId",
                lines, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        }

        return decision;
    }

    /// <summary>The database refused the order's data in a way no retry can change (see <see cref="DataErrors"/>).</summary>
    private sealed class DataRefusedException(MySqlException inner) : Exception(inner.Message, inner)
    {
        public int Number => inner.Number;
    }

    [LoggerMessage(LogLevel.Error, "Order {OrderId}: the database refused its data (error {ErrorCode}); settling it FAILED without touching stock")]
    private static partial void LogDataRefused(ILogger logger, Exception exception, string orderId, int errorCode);

    [LoggerMessage(LogLevel.Warning, "Order {OrderId}: transient MySQL error {ErrorCode} on attempt {Attempt}; retrying")]
    private static partial void LogTransientRetry(ILogger logger, string orderId, int errorCode, int attempt);
}
