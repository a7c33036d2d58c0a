using System.Data;
using System.Diagnostics;
using System.Text.Json;
using Dapper;
using Microsoft.Extensions.Options;
using MySqlConnector;
using OrderPipeline.Messaging.Events;
using OrderPipeline.Messaging.Sqs;
using OrderPipeline.Processor.Outbox;
using OrderPipeline.Data;

namespace OrderPipeline.Processor.Orders;

/// <summary>An order to settle, with the trace its OrderProcessed continues.</summary>
public sealed record ReceivedOrder(OrderCreated Order, ActivityContext Trace = default);

/// <summary>What one delivery of OrderCreated did.</summary>
/// <param name="Settled">The OrderProcessed event this delivery committed; null when the order was already recorded.</param>
/// <param name="Unpublished">The outbox row still to publish, if any.</param>
public sealed record OrderOutcome(OrderProcessed? Settled, OutboxMessage? Unpublished)
{
    public bool WasDuplicate => Settled is null;
}

/// <summary>
/// The order transaction, where stock is locked. For a batch of orders, in one commit: locks every inventory row
/// they need in product_id order, decides each order in turn in memory, records every new order PROCESSED or FAILED,
/// decrements the stock the served ones take and writes their OrderProcessed to the outbox. An order already
/// recorded (a redelivery) changes nothing. One commit for many orders is what lets the Processor outrun a
/// transaction per order; locking in key order keeps concurrent batches from deadlocking.
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

    public async Task<OrderOutcome> ExecuteAsync(OrderCreated order, CancellationToken cancellationToken) =>
        (await ExecuteAsync([new ReceivedOrder(order, Activity.Current?.Context ?? default)], cancellationToken).ConfigureAwait(false))[0];

    /// <param name="orders">Orders with distinct ids.</param>
    /// <returns>One outcome per order, in the order given.</returns>
    /// <exception cref="MySqlException">
    /// The database refused a batch of several orders in a way no retry changes (see <see cref="DataErrors"/>): try the
    /// orders in smaller batches to find the one at fault. A single order is settled FAILED instead.
    /// </exception>
    public async Task<IReadOnlyList<OrderOutcome>> ExecuteAsync(IReadOnlyList<ReceivedOrder> orders, CancellationToken cancellationToken)
    {
        if (orders.Select(o => o.Order.OrderId).Distinct(StringComparer.Ordinal).Count() != orders.Count)
        {
            throw new ArgumentException("A batch holds each order once.", nameof(orders));
        }
        // Set once the database refused the order's data: from then on the order is settled FAILED with this.
        StockDecision? refused = null;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await ExecuteOnceAsync(orders, refused, cancellationToken).ConfigureAwait(false);
            }
            catch (MySqlException ex) when (IsTransient(ex.Number) && attempt < MaxAttempts)
            {
                // The transaction was rolled back (see ExecuteOnceAsync); a concurrent delivery of the same
                // order (duplicate key) is settled by the retry finding the order recorded.
                telemetry.RecordTransientRetry(ex.Number);
                LogTransientRetry(logger, orders[0].Order.OrderId, orders.Count, ex.Number, attempt);
                await Task.Delay(Backoff(attempt), clock, cancellationToken).ConfigureAwait(false);
            }
            catch (DataRefusedException ex) when (orders.Count == 1)
            {
                // Every retry would fail the same way and the message would end in the DLQ, the order never
                // recorded. Settle it FAILED instead, in a fresh transaction that touches no stock. If even that
                // is refused, the error goes up (and the message to the DLQ): nothing else is left to try.
                LogDataRefused(logger, ex.InnerException!, orders[0].Order.OrderId, ex.Number);
                refused = new StockDecision(OrderStatus.Failed, DataErrors.Reason(ex.Number, ex.InnerException!.Message));
                attempt = 0;
            }
            catch (DataRefusedException ex)
            {
                // Which order's data it was does not show: the caller splits the batch until it does.
                throw (MySqlException)ex.InnerException!;
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

    /// <param name="refused">When set (a single order), the order is recorded FAILED with this decision and its stock is not looked at.</param>
    private async Task<IReadOnlyList<OrderOutcome>> ExecuteOnceAsync(
        IReadOnlyList<ReceivedOrder> orders, StockDecision? refused, CancellationToken cancellationToken)
    {
        // A child of the first order's trace, linked to the others' (an order that arrived without a trace has none to link).
        using var activity = telemetry.ActivitySource.StartActivity(ActivityKind.Internal, orders[0].Trace,
            links: [.. orders.Skip(1).Where(o => o.Trace != default).Select(o => new ActivityLink(o.Trace))], name: "order transaction");
        activity?.SetTag("order.id", orders[0].Order.OrderId);
        activity?.SetTag("orders.count", orders.Count);

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        // READ COMMITTED: the locking read of a not-yet-existing order takes no gap lock. Under REPEATABLE READ
        // every new (time-ordered) order id would gap-lock the end of the index, and concurrent inserts there
        // would deadlock each other. Correctness does not need more: every row we decide on is locked.
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken).ConfigureAwait(false);
        try
        {
            var outcomes = await RunAsync(new Session(connection, transaction, cancellationToken), orders, refused).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            activity?.SetTag("orders.duplicates", outcomes.Count(o => o.WasDuplicate));
            return outcomes;
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

    private sealed record Session(MySqlConnection Connection, MySqlTransaction Transaction, CancellationToken CancellationToken)
    {
        public CommandDefinition Command(string sql, object? parameters) => new(sql, parameters, Transaction, cancellationToken: CancellationToken);
    }

    /// <summary>
    /// Two round trips inside the transaction, each a command of several statements: a network round trip costs the
    /// Processor and the database more than the statement does, and every one made while the stock is locked keeps
    /// the next batch for the same products waiting.
    /// </summary>
    private async Task<IReadOnlyList<OrderOutcome>> RunAsync(Session db, IReadOnlyList<ReceivedOrder> orders, StockDecision? refused)
    {
        var ids = orders.Select(o => o.Order.OrderId).ToArray();
        var (recorded, stock) = await LockAsync(db, ids, refused is null ? orders : []).ConfigureAwait(false);
        var fresh = orders.Where(o => !recorded.Contains(o.Order.OrderId)).ToList();

        var settled = new Dictionary<string, OrderProcessed>(StringComparer.Ordinal);
        var parameters = new DynamicParameters();
        var statements = new List<string>();
        if (fresh.Count > 0)
        {
            var lines = fresh.Select(o => StockCheck.Normalize(o.Order.Items)).ToList();
            var (decisions, taken) = refused is not null
                ? ([refused], new Dictionary<string, int>())
                : StockCheck.DecideInTurn(lines, stock);
            var now = clock.GetUtcNow().UtcDateTime;
            for (var i = 0; i < fresh.Count; i++)
            {
                var order = fresh[i].Order;
                settled[order.OrderId] = new OrderProcessed(order.OrderId, order.CustomerId, decisions[i].Status, now, order.Timestamp, decisions[i].Reason);
            }
            // Recorded with its outcome at once: inside this transaction a PENDING row would be seen by nobody.
            statements.Add(InsertSettled(fresh, settled, refused is not null, parameters));
            if (taken.Count > 0)
            {
                statements.Add(TakeStock(taken, parameters));
            }
            statements.Add(OutboxStore.Insert([.. fresh.Select(o => NewOutboxMessage(o, settled[o.Order.OrderId]))], parameters));
        }
        // One read serves both: the rows just written and any a redelivered order's first delivery left unsent.
        statements.Add(OutboxStore.SelectUnpublished(ids, parameters));

        using var results = await db.Connection.QueryMultipleAsync(db.Command(string.Join(";\n", statements), parameters)).ConfigureAwait(false);
        var unpublished = (await OutboxStore.ReadUnpublishedAsync(results).ConfigureAwait(false))
            .ToDictionary(m => m.MessageId, m => m.Message, StringComparer.Ordinal);
        return [.. orders.Select(o => new OrderOutcome(settled.GetValueOrDefault(o.Order.OrderId), unpublished.GetValueOrDefault(o.Order.OrderId)))];
    }

    /// <summary>
    /// The first round trip: the session's lock wait (per transaction, since a pooled connection's session is reset
    /// when it is taken again), the orders already recorded (redeliveries: their first delivery committed the order,
    /// its stock change and its event together) and the stock of every product <paramref name="stockFor"/> name,
    /// locked in one statement in primary-key order, so two batches touching the same products always queue up
    /// instead of deadlocking. A redelivered order's products are locked too: rare, and harmless.
    /// </summary>
    private async Task<(HashSet<string> Recorded, Dictionary<string, int> Stock)> LockAsync(Session db, string[] ids, IReadOnlyList<ReceivedOrder> stockFor)
    {
        var productIds = stockFor.SelectMany(o => o.Order.Items).Select(l => l.ProductId).Distinct(StringComparer.Ordinal).ToArray();
        var sql = """
            SET SESSION innodb_lock_wait_timeout = @Seconds;
            SELECT order_id FROM orders WHERE order_id IN @Ids FOR UPDATE
            """;
        if (productIds.Length > 0)
        {
            sql += ";\nSELECT product_id, quantity_available FROM inventory WHERE product_id IN @ProductIds ORDER BY product_id FOR UPDATE";
        }
        using var results = await db.Connection.QueryMultipleAsync(
            db.Command(sql, new { Seconds = _lockWaitTimeoutSeconds, Ids = ids, ProductIds = productIds })).ConfigureAwait(false);
        var recorded = (await results.ReadAsync<string>().ConfigureAwait(false)).ToHashSet(StringComparer.Ordinal);
        var stock = productIds.Length == 0 ? [] : (await results.ReadAsync<(string ProductId, int Quantity)>().ConfigureAwait(false))
            .ToDictionary(r => r.ProductId, r => r.Quantity, StringComparer.Ordinal);
        return (recorded, stock);
    }

    private string InsertSettled(
        IReadOnlyList<ReceivedOrder> fresh, IReadOnlyDictionary<string, OrderProcessed> settled, bool refused,
        DynamicParameters parameters)
    {
        parameters.Add("ProcessedAt", settled[fresh[0].Order.OrderId].ProcessedAt);
        var rows = SqlRows.Values(fresh, "(@OrderId{0}, @CustomerId{0}, @Items{0}, @Status{0}, @Reason{0}, @AcceptedAt{0}, @ProcessedAt)", parameters, o => [
            ("OrderId", o.Order.OrderId),
            ("CustomerId", o.Order.CustomerId),
            ("Items", JsonSerializer.Serialize(o.Order.Items, EventJsonContext.Default.IReadOnlyListOrderLine)),
            ("Status", settled[o.Order.OrderId].Status == OrderStatus.Processed ? "PROCESSED" : "FAILED"),
            ("Reason", settled[o.Order.OrderId].Reason),
            // A timestamp the column cannot hold must not stop a refused order from being recorded.
            ("AcceptedAt", !refused || o.Order.Timestamp.Year is >= 1000 and <= 9999 ? o.Order.Timestamp : clock.GetUtcNow().UtcDateTime),
        ]);
        return $"INSERT INTO orders (order_id, customer_id, items, status, failure_reason, created_at, processed_at) VALUES {rows}";
    }

    private static string TakeStock(IReadOnlyDictionary<string, int> taken, DynamicParameters parameters)
    {
        var products = taken.OrderBy(t => t.Key, StringComparer.Ordinal).ToList();
        var keys = SqlRows.Keys(products, "ProductId", parameters, p => p.Key);
        var quantity = SqlRows.Case("product_id", "ProductId", products, "Taken", parameters, p => p.Value);
        return $"UPDATE inventory SET quantity_available = quantity_available - {quantity} WHERE product_id IN ({keys})";
    }

    private OutboxStore.NewMessage NewOutboxMessage(ReceivedOrder order, OrderProcessed settled) => new(
        // One OrderProcessed per order: its outbox id is the order id, so the table itself refuses a second.
        MessageId: order.Order.OrderId,
        Destination: queues.Value.OrderProcessed,
        EventType: OrderProcessed.EventType,
        Payload: JsonSerializer.Serialize(settled, EventJsonContext.Default.OrderProcessed),
        TraceParent: TraceContext.TraceParentOf(order.Trace),
        TraceState: order.Trace.TraceState,
        CreatedAt: settled.ProcessedAt);

    /// <summary>The database refused an order's data in a way no retry can change (see <see cref="DataErrors"/>).</summary>
    private sealed class DataRefusedException(MySqlException inner) : Exception(inner.Message, inner)
    {
        public int Number => inner.Number;
    }

    [LoggerMessage(LogLevel.Error, "Order {OrderId}: the database refused its data (error {ErrorCode}); settling it FAILED without touching stock")]
    private static partial void LogDataRefused(ILogger logger, Exception exception, string orderId, int errorCode);

    [LoggerMessage(LogLevel.Warning, "Orders {OrderId} and the rest of a batch of {Count}: transient MySQL error {ErrorCode} on attempt {Attempt}; retrying")]
    private static partial void LogTransientRetry(ILogger logger, string orderId, int count, int errorCode, int attempt);
}
