using System.Diagnostics;
using System.Text.Json;
using Dapper;
using MySqlConnector;
using OrderPipeline.Messaging.Consuming;
using OrderPipeline.Messaging.Events;

namespace OrderPipeline.Notifier.Notifications;

/// <summary>
/// Announces a settled order as one structured log line (a CloudWatch Logs record in AWS), at least once per order,
/// each line carrying a stable <c>notification_id</c>. The notifications table remembers what was announced, so a
/// redelivered OrderProcessed is ignored; only a crash (or a failed commit) between writing the line and committing
/// that record repeats the line, with the same id. Exactly once cannot be had between a log line and a database
/// commit: one of the two always comes first.
/// </summary>
public sealed partial class OrderProcessedHandler(
    MySqlDataSource dataSource,
    NotifierTelemetry telemetry,
    TimeProvider clock,
    ILogger<OrderProcessedHandler> logger) : IMessageHandler
{
    private const int DuplicateKey = 1062;

    public async Task HandleAsync(InboundMessage message, CancellationToken cancellationToken)
    {
        var order = Parse(message.Body);
        var notifiedAt = clock.GetUtcNow().UtcDateTime;

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // The row stays locked until the commit, so a concurrent delivery of the same event waits here and then
            // finds it: two live deliveries never both write the line.
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO notifications (order_id, status, notified_at) VALUES (@OrderId, @Status, @NotifiedAt)",
                new { order.OrderId, Status = NotificationIds.StatusName(order.Status), NotifiedAt = notifiedAt },
                transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        }
        catch (MySqlException ex) when (ex.Number == DuplicateKey)
        {
            await transaction.RollbackAsync(CancellationToken.None).ConfigureAwait(false);
            LogAlreadyNotified(logger, order.OrderId, message.MessageId);
            return;
        }

        // Logged before the commit: a crash in between means a repeat on redelivery (same notification_id), never a
        // lost notification. Committing first would turn that into a notification lost for good.
        var notificationId = NotificationIds.For(order.OrderId, order.Status);
        var processedAt = order.ProcessedAt.ToString("O", System.Globalization.CultureInfo.InvariantCulture);
        var traceId = Activity.Current?.TraceId.ToString();
        if (order.Status == OrderStatus.Processed)
        {
            LogProcessed(logger, NotificationEvent, notificationId, order.OrderId, order.CustomerId, "PROCESSED", processedAt, traceId);
        }
        else
        {
            LogFailed(logger, NotificationEvent, notificationId, order.OrderId, order.CustomerId, "FAILED", order.Reason ?? "unknown", processedAt, traceId);
        }
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        telemetry.RecordNotified(order, notifiedAt);
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

    [LoggerMessage(1, LogLevel.Information, "{event} {notification_id}: order {order_id} for customer {customer_id} is {status} at {processed_at} (trace {trace_id})")]
    private static partial void LogProcessed(ILogger logger, string @event, string notification_id, string order_id, string customer_id, string status, string processed_at, string? trace_id);

    [LoggerMessage(2, LogLevel.Information, "{event} {notification_id}: order {order_id} for customer {customer_id} is {status}: {reason} at {processed_at} (trace {trace_id})")]
    private static partial void LogFailed(ILogger logger, string @event, string notification_id, string order_id, string customer_id, string status, string reason, string processed_at, string? trace_id);

    [LoggerMessage(LogLevel.Information, "Order {OrderId} was already notified; redelivery {MessageId} ignored")]
    private static partial void LogAlreadyNotified(ILogger logger, string orderId, string messageId);
}
