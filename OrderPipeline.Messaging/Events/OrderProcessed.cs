namespace OrderPipeline.Messaging.Events;

/// <summary>Published by the Processor to <c>order-processed</c> when an order reached its final status.</summary>
/// <param name="Reason">Why the order failed; null when it was processed.</param>
/// <param name="OrderTimestamp">The order's acceptance time, carried so the Notifier can measure end-to-end latency.</param>
public sealed record OrderProcessed(
    string OrderId,
    string CustomerId,
    OrderStatus Status,
    DateTime ProcessedAt,
    string? Reason,
    DateTime OrderTimestamp)
{
    public const string EventType = nameof(OrderProcessed);
}
