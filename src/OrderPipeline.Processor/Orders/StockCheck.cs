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

    /// <summary>
    /// Decides orders one after another against the same stock, as if each had its own transaction in this order: an
    /// order served takes its stock before the next is decided, one that is not takes nothing.
    /// </summary>
    /// <param name="orders">Each order's normalized lines, in the order they are to be served.</param>
    /// <param name="available">Stock of the products that exist, by product_id, before the first order.</param>
    /// <returns>One decision per order, and what the served ones take in all, by product_id.</returns>
    public static (IReadOnlyList<StockDecision> Decisions, IReadOnlyDictionary<string, int> Taken) DecideInTurn(
        IReadOnlyList<IReadOnlyList<OrderLine>> orders, IReadOnlyDictionary<string, int> available)
    {
        var left = new Dictionary<string, int>(available, StringComparer.Ordinal);
        var taken = new Dictionary<string, int>(StringComparer.Ordinal);
        var decisions = new List<StockDecision>(orders.Count);
        foreach (var lines in orders)
        {
            var decision = Decide(lines, left);
            if (decision.Accepted)
            {
                foreach (var line in lines)
                {
                    left[line.ProductId] -= line.Quantity;
                    taken[line.ProductId] = taken.GetValueOrDefault(line.ProductId) + line.Quantity;
                }
            }
            decisions.Add(decision);
        }
        return (decisions, taken);
    }
}
