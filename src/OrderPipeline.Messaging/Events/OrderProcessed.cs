namespace OrderPipeline.Messaging.Events;

/// <summary>Published by the Processor to <c>order-processed</c> when an order reached its final status.</summary>
/// <param name="OrderTimestamp">The order's acceptance time, carried so the Notifier can measure end-to-end latency.</param>
/// <param name="Reason">Why the order failed; absent when it was processed.</param>
public sealed record OrderProcessed(
    string OrderId,
    string CustomerId,
    OrderStatus Status,
    DateTime ProcessedAt,
    DateTime OrderTimestamp,
    string? Reason = null)
{
    public const string EventType = nameof(OrderProcessed);
}
