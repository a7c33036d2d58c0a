using OrderPipeline.Messaging.Events;

namespace OrderPipeline.Processor.Orders;

/// <summary>The verdict on an order given the stock of its products: all lines fit, or the order fails whole.</summary>
public sealed record StockDecision(OrderStatus Status, string? Reason)
{
    public bool Accepted => Status == OrderStatus.Processed;
}

/// <summary>
/// Decides whether an order can be filled. Pure, so the rules are tested without a database. Reasons name the
/// first products and count the rest (<see cref="FailureReason"/>), so they always fit their column.
/// </summary>
public static class StockCheck
{
    /// <summary>One line per product, quantities summed, in product_id (ordinal) order: the order the rows are locked in.</summary>
    public static IReadOnlyList<OrderLine> Normalize(IEnumerable<OrderLine> items) =>
        [.. items
            .GroupBy(i => i.ProductId, StringComparer.Ordinal)
            .Select(g => new OrderLine(g.Key, checked(g.Sum(i => i.Quantity))))
            .OrderBy(i => i.ProductId, StringComparer.Ordinal)];

    /// <param name="lines">Normalized lines.</param>
    /// <param name="available">Stock of the products that exist, by product_id.</param>
    public static StockDecision Decide(IReadOnlyList<OrderLine> lines, IReadOnlyDictionary<string, int> available)
    {
        var unknown = lines.Where(l => !available.ContainsKey(l.ProductId)).Select(l => l.ProductId).ToList();
        if (unknown.Count > 0)
        {
            return new StockDecision(OrderStatus.Failed, FailureReason.List("unknown product", unknown));
        }
        var short_ = lines.Where(l => available[l.ProductId] < l.Quantity)
            .Select(l => $"{l.ProductId} (requested {l.Quantity}, available {available[l.ProductId]})")
            .ToList();
        return short_.Count > 0
            ? new StockDecision(OrderStatus.Failed, FailureReason.List("insufficient stock", short_))
            : new StockDecision(OrderStatus.Processed, null);
    }
}
