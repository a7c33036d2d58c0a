using System.Text.Json;
using OrderPipeline.Messaging.Consuming;
using OrderPipeline.Messaging.Events;
using OrderPipeline.Processor.Outbox;

namespace OrderPipeline.Processor.Orders;

/// <summary>
/// Handles one OrderCreated: runs the order transaction, then publishes the OrderProcessed it committed.
/// Returning acknowledges the message; a database error throws, so SQS delivers it again.
/// </summary>
public sealed partial class OrderCreatedHandler(
    OrderTransaction transaction,
    OutboxPublisher outbox,
    ProcessorTelemetry telemetry,
    ILogger<OrderCreatedHandler> logger) : IMessageHandler
{
    public async Task HandleAsync(InboundMessage message, CancellationToken cancellationToken)
    {
        var order = Parse(message.Body);
        var outcome = await transaction.ExecuteAsync(order, cancellationToken).ConfigureAwait(false);
        if (outcome.Settled is { } settled)
        {
            telemetry.RecordSettled(settled);
            if (settled.Reason is { } reason)
            {
                LogFailed(logger, order.OrderId, reason);
            }
            else
            {
                LogProcessed(logger, order.OrderId);
            }
        }
        else
        {
            LogDuplicate(logger, order.OrderId, message.MessageId);
        }

        // Committed events are safe in the outbox: if this publish fails the relay sends it,
        // so the message is acknowledged either way and the stock is never touched twice.
        if (outcome.Unpublished is { } pending)
        {
            await outbox.TryPublishAsync(pending, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Reads and checks the event; anything unusable is an <see cref="InvalidMessageException"/>, bound for the DLQ.</summary>
    internal static OrderCreated Parse(string body)
    {
        OrderCreated? order;
        try
        {
            order = JsonSerializer.Deserialize(body, EventJsonContext.Default.OrderCreated);
        }
        catch (JsonException ex)
        {
            throw new InvalidMessageException("The body is not a valid OrderCreated event: " + ex.Message, ex);
        }
        var problem = order switch
        {
            null => "the body is null",
            { OrderId.Length: 0 or > 36 } => "order_id must have 1 to 36 characters",
            { CustomerId.Length: 0 or > 64 } => "customer_id must have 1 to 64 characters",
            { Items.Count: 0 } => "items is empty",
            _ when order.Items.Any(i => i is null || string.IsNullOrEmpty(i.ProductId) || i.ProductId.Length > 64) => "an item has no valid product_id",
            _ when order.Items.Any(i => i.Quantity <= 0) => "an item has a quantity below 1",
            _ => null,
        };
        return problem is null ? order! : throw new InvalidMessageException("The OrderCreated event is invalid: " + problem);
    }

    [LoggerMessage(LogLevel.Information, "Order {OrderId} PROCESSED")]
    private static partial void LogProcessed(ILogger logger, string orderId);

    [LoggerMessage(LogLevel.Information, "Order {OrderId} FAILED: {Reason}")]
    private static partial void LogFailed(ILogger logger, string orderId, string reason);

    [LoggerMessage(LogLevel.Information, "Order {OrderId} was already recorded; redelivery {MessageId} changes nothing")]
    private static partial void LogDuplicate(ILogger logger, string orderId, string messageId);
}
