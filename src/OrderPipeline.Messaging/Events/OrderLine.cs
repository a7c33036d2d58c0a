namespace OrderPipeline.Messaging.Events;

/// <summary>One product line of an order.</summary>
public sealed record OrderLine(string ProductId, int Quantity);
