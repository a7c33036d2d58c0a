using OrderPipeline.Messaging.Events;

namespace OrderPipeline.Api.Orders;

/// <summary>The body of POST /api/orders: <c>{"customer_id": "...", "items": [{"product_id": "...", "quantity": 1}]}</c>.</summary>
public sealed record PlaceOrderRequest(string CustomerId, IReadOnlyList<OrderLine> Items);

/// <summary>The answer to an accepted order: where to follow it.</summary>
public sealed record PlaceOrderResponse(string OrderId, string Status);

/// <summary>An order as recorded by the Processor.</summary>
public sealed record OrderView(
    string OrderId,
    string CustomerId,
    string Status,
    IReadOnlyList<OrderLine> Items,
    string? FailureReason,
    DateTime CreatedAt,
    DateTime? ProcessedAt);
