namespace OrderPipeline.Messaging.Events;

/// <summary>Published by the Api to <c>order-created</c> once an order is accepted.</summary>
/// <param name="Timestamp">When the Api accepted the order, UTC.</param>
public sealed record OrderCreated(string OrderId, string CustomerId, IReadOnlyList<OrderLine> Items, DateTime Timestamp)
{
    public const string EventType = nameof(OrderCreated);
}
