using System.Diagnostics;
using System.Text.Json;
using Dapper;
using MySqlConnector;
using OrderPipeline.Messaging.Consuming;
using OrderPipeline.Messaging.Events;
using OrderPipeline.Data;

namespace OrderPipeline.Notifier.Notifications;

/// <summary>
/// Announces a settled order as one structured log line (a CloudWatch Logs record in AWS), at least once per order,
/// each line carrying a stable <c>notification_id</c>. The notifications table remembers what was announced, so a
/// redelivered OrderProcessed is ignored; only a crash (or a failed commit) between writing the line and committing
/// that record repeats the line, with the same id. Exactly once cannot be had between a log line and a database
/// commit: one of the two always comes first. A received batch is recorded in one transaction.
/// </summary>
public sealed partial class OrderProcessedHandler(
    MySqlDataSource dataSource,
    NotifierTelemetry telemetry,
    TimeProvider clock,
    ILogger<OrderProcessedHandler> logger) : IMessageBatchHandler
{
    private const int DuplicateKey = 1062;
    private const int MaxAttempts = 3;

    public async Task<IReadOnlyDictionary<string, Exception>> HandleBatchAsync(IReadOnlyList<InboundMessage> messages, CancellationToken cancellationToken)
    {
        var invalid = new Dictionary<string, Exception>(StringComparer.Ordinal);
        // Two deliveries of one event in the same batch: announced once, both acknowledged.
        var orders = new Dictionary<string, (OrderProcessed Order, InboundMessage Message)>(StringComparer.Ordinal);
        foreach (var message in messages)
        {
            try
            {
                var order = Parse(message.Body);
                orders.TryAdd(order.OrderId, (order, message));
            }
            catch (InvalidMessageException ex)
            {
                invalid[message.MessageId] = ex;
            }
        }
        for (var attempt = 1; orders.Count > 0; attempt++)
        {
            try
            {
                await NotifyAsync([.. orders.Values], cancellationToken).ConfigureAwait(false);
                break;
            }
            catch (MySqlException ex) when (ex.Number == DuplicateKey && attempt < MaxAttempts)
            {
                // A concurrent delivery of one of these events committed its record first: the next attempt sees it.
            }
            catch (Exception ex) when (invalid.Count > 0)
            {
                throw new BatchFailedException(ex, invalid);
            }
        }
        return invalid;
    }

    private async Task NotifyAsync(IReadOnlyList<(OrderProcessed Order, InboundMessage Message)> orders, CancellationToken cancellationToken)
    {
        var notifiedAt = clock.GetUtcNow().UtcDateTime;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.ReadCommitted, cancellationToken).ConfigureAwait(false);
        var announced = (await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT order_id FROM notifications WHERE order_id IN @Ids",
            new { Ids = orders.Select(o => o.Order.OrderId).ToArray() }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false))
            .ToHashSet(StringComparer.Ordinal);
        foreach (var (order, message) in orders.Where(o => announced.Contains(o.Order.OrderId)))
        {
            LogAlreadyNotified(logger, order.OrderId, message.MessageId);
        }
        var fresh = orders.Where(o => !announced.Contains(o.Order.OrderId)).ToList();
        if (fresh.Count == 0)
        {
            return;
        }

        // The new rows stay locked until the commit, so a concurrent delivery of the same event waits on them and
        // then fails with a duplicate key: two live deliveries never both write the line.
        var parameters = new DynamicParameters();
        var rows = SqlRows.Values(fresh, "(@OrderId{0}, @Status{0}, @NotifiedAt{0})", parameters, o => [
            ("OrderId", o.Order.OrderId),
            ("Status", NotificationIds.StatusName(o.Order.Status)),
            ("NotifiedAt", notifiedAt),
        ]);
        await connection.ExecuteAsync(new CommandDefinition(
            $"INSERT INTO notifications (order_id, status, notified_at) VALUES {rows}", parameters, transaction,
            cancellationToken: cancellationToken)).ConfigureAwait(false);

        // Logged before the commit: a crash in between means a repeat on redelivery (same notification_id), never a
        // lost notification. Committing first would turn that into a notification lost for good.
        var batchSpan = Activity.Current;
        try
        {
            foreach (var (order, message) in fresh)
            {
                // In the order's own trace: the line links to it, and is exported when that trace is sampled.
                Activity.Current = message.ProcessSpan ?? batchSpan;
                Announce(order, message.Trace);
            }
        }
        finally
        {
            Activity.Current = batchSpan;
        }
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        foreach (var (order, _) in fresh)
        {
            telemetry.RecordNotified(order, notifiedAt);
        }
    }

    private void Announce(OrderProcessed order, ActivityContext trace)
    {
        var notificationId = NotificationIds.For(order.OrderId, order.Status);
        var processedAt = order.ProcessedAt.ToString("O", System.Globalization.CultureInfo.InvariantCulture);
        var traceId = trace == default ? null : trace.TraceId.ToString();
        if (order.Status == OrderStatus.Processed)
        {
            LogProcessed(logger, NotificationEvent, notificationId, order.OrderId, order.CustomerId, "PROCESSED", processedAt, traceId);
        }
        else
        {
            LogFailed(logger, NotificationEvent, notificationId, order.OrderId, order.CustomerId, "FAILED", order.Reason ?? "unknown", processedAt, traceId);
        }
    }

    internal static OrderProcessed Parse(string body)
    {
        try
        {
            var order = JsonSerializer.Deserialize(body, EventJsonContext.Default.OrderProcessed);
            return order is { OrderId.Length: > 0 and <= 36, CustomerId.Length: > 0 } && order.Status != OrderStatus.Pending
                ? order
                : throw new InvalidMessageException("The OrderProcessed event lacks order_id, customer_id or a final status.");
        }
        catch (JsonException ex)
        {
            throw new InvalidMessageException("The body is not a valid OrderProcessed event: " + ex.Message, ex);
        }
    }

    // The notification itself: one structured line per order (a CloudWatch Logs record in AWS), its fields
    // named as in the events. A failed order's line carries the reason. notification_id is what a reader
    // de-duplicates on: the same for every line about the same order and status.
    private const string NotificationEvent = "OrderNotification";

    [LoggerMessage(1, LogLevel.Information, "{event} {notification_id}: order {order_id} for customer {customer_id} is {status} "
        + "at {processed_at} (trace {trace_id})")]
    private static partial void LogProcessed(
        ILogger logger, string @event, string notification_id, string order_id, string customer_id, string status,
        string processed_at, string? trace_id);

    [LoggerMessage(2, LogLevel.Information, "{event} {notification_id}: order {order_id} for customer {customer_id} is {status}: "
        + "{reason} at {processed_at} (trace {trace_id})")]
    private static partial void LogFailed(
        ILogger logger, string @event, string notification_id, string order_id, string customer_id, string status, string reason,
        string processed_at, string? trace_id);

    [LoggerMessage(LogLevel.Information, "Order {OrderId} was already notified; redelivery {MessageId} ignored")]
    private static partial void LogAlreadyNotified(ILogger logger, string orderId, string messageId);
}
