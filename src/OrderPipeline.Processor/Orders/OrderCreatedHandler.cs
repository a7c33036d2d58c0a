using System.Text.Json;
using OrderPipeline.Messaging.Consuming;
using OrderPipeline.Messaging.Events;
using OrderPipeline.Processor.Outbox;

namespace OrderPipeline.Processor.Orders;

/// <summary>
/// Handles OrderCreated messages, a received batch at a time: runs one order transaction for all of them, then
/// publishes the OrderProcessed events it committed. Returning acknowledges the messages; a database error throws, so
/// SQS delivers them again (and the consumer tries the batch in halves, so one bad order never fails the others).
/// </summary>
public sealed partial class OrderCreatedHandler(
    OrderTransaction transaction,
    OutboxPublisher outbox,
    ProcessorTelemetry telemetry,
    ILogger<OrderCreatedHandler> logger) : IMessageBatchHandler
{
    public async Task<IReadOnlyDictionary<string, Exception>> HandleBatchAsync(IReadOnlyList<InboundMessage> messages, CancellationToken cancellationToken)
    {
        var invalid = new Dictionary<string, Exception>(StringComparer.Ordinal);
        // Two deliveries of one order in the same batch: the order is settled once, both messages are acknowledged.
        var orders = new Dictionary<string, ReceivedOrder>(StringComparer.Ordinal);
        foreach (var message in messages)
        {
            try
            {
                var order = Parse(message.Body);
                orders.TryAdd(order.OrderId, new ReceivedOrder(order, message.Trace));
            }
            catch (InvalidMessageException ex)
            {
                invalid[message.MessageId] = ex;
            }
        }
        if (orders.Count == 0)
        {
            return invalid;
        }

        var received = orders.Values.ToList();
        IReadOnlyList<OrderOutcome> outcomes;
        try
        {
            outcomes = await transaction.ExecuteAsync(received, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (invalid.Count > 0)
        {
            throw new BatchFailedException(ex, invalid);
        }
        for (var i = 0; i < received.Count; i++)
        {
            Report(received[i].Order.OrderId, outcomes[i]);
        }

        // Committed events are safe in the outbox: if a publish fails the relay sends it,
        // so the messages are acknowledged either way and the stock is never touched twice.
        await outbox.TryPublishAsync([.. outcomes.Where(o => o.Unpublished is not null).Select(o => o.Unpublished!)], cancellationToken).ConfigureAwait(false);
        return invalid;
    }

    private void Report(string orderId, OrderOutcome outcome)
    {
        if (outcome.Settled is not { } settled)
        {
            LogDuplicate(logger, orderId);
            return;
        }
        telemetry.RecordSettled(settled);
        if (settled.Reason is { } reason)
        {
            LogFailed(logger, orderId, reason);
        }
        else
        {
            LogProcessed(logger, orderId);
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

    // Debug: the order's row, its span, the settled-orders metric and the Notifier's line already record each outcome, and
    // a line per order here would double what every order costs the log backend.
    [LoggerMessage(LogLevel.Debug, "Order {OrderId} PROCESSED")]
    private static partial void LogProcessed(ILogger logger, string orderId);

    [LoggerMessage(LogLevel.Debug, "Order {OrderId} FAILED: {Reason}")]
    private static partial void LogFailed(ILogger logger, string orderId, string reason);

    [LoggerMessage(LogLevel.Information, "Order {OrderId} was already recorded; this redelivery changes nothing")]
    private static partial void LogDuplicate(ILogger logger, string orderId);
}
