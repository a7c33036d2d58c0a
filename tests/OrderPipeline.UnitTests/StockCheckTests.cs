using OrderPipeline.Messaging.Events;
using OrderPipeline.Processor.Orders;

namespace OrderPipeline.UnitTests;

[Trait("Category", "Unit")]
public sealed class StockCheckTests
{
    private static Dictionary<string, int> Stock(params (string Product, int Quantity)[] rows) =>
        rows.ToDictionary(r => r.Product, r => r.Quantity, StringComparer.Ordinal);

    [Fact]
    public void Normalize_merges_duplicate_products_and_sums_their_quantities()
    {
        var lines = StockCheck.Normalize([new("b", 2), new("a", 1), new("b", 3), new("a", 4), new("c", 1)]);

        Assert.Equal([new OrderLine("a", 5), new OrderLine("b", 5), new OrderLine("c", 1)], lines);
    }

    [Fact]
    public void Normalize_sorts_ordinally()
    {
        // Ordinal: upper case before lower case, "Z" before "a", "item-10" before "item-2".
        var lines = StockCheck.Normalize([new("item-2", 1), new("a", 1), new("Z", 1), new("item-10", 1), new("B", 1)]);

        Assert.Equal(["B", "Z", "a", "item-10", "item-2"], lines.Select(l => l.ProductId));
    }

    [Fact]
    public void Normalize_treats_ids_differing_in_case_as_different_products()
    {
        var lines = StockCheck.Normalize([new("sku", 1), new("SKU", 2)]);

        Assert.Equal([new OrderLine("SKU", 2), new OrderLine("sku", 1)], lines);
    }

    [Fact]
    public void Normalize_of_nothing_is_empty()
    {
        Assert.Empty(StockCheck.Normalize([]));
    }

    [Fact]
    public void Normalize_refuses_a_sum_that_overflows()
    {
        Assert.Throws<OverflowException>(() => StockCheck.Normalize([new("a", int.MaxValue), new("a", 1)]));
    }

    [Fact]
    public void Decide_processes_an_order_whose_lines_all_fit()
    {
        var decision = StockCheck.Decide([new("a", 1), new("b", 5)], Stock(("a", 10), ("b", 6), ("c", 0)));

        Assert.Equal(OrderStatus.Processed, decision.Status);
        Assert.Null(decision.Reason);
        Assert.True(decision.Accepted);
    }

    [Fact]
    public void Decide_processes_an_order_that_takes_exactly_the_stock()
    {
        var decision = StockCheck.Decide([new("a", 10)], Stock(("a", 10)));

        Assert.Equal(new StockDecision(OrderStatus.Processed, null), decision);
    }

    [Fact]
    public void Decide_fails_an_order_with_one_short_line_naming_product_requested_and_available()
    {
        var decision = StockCheck.Decide([new("a", 1), new("b", 11)], Stock(("a", 10), ("b", 10)));

        Assert.Equal(OrderStatus.Failed, decision.Status);
        Assert.False(decision.Accepted);
        Assert.Equal("insufficient stock: b (requested 11, available 10)", decision.Reason);
    }

    [Fact]
    public void Decide_names_every_short_line()
    {
        var decision = StockCheck.Decide([new("a", 3), new("b", 1), new("c", 2)], Stock(("a", 0), ("b", 1), ("c", 1)));

        Assert.Equal("insufficient stock: a (requested 3, available 0), c (requested 2, available 1)", decision.Reason);
    }

    [Fact]
    public void Decide_fails_an_order_for_an_unknown_product()
    {
        var decision = StockCheck.Decide([new("a", 1), new("ghost", 1)], Stock(("a", 10)));

        Assert.Equal(new StockDecision(OrderStatus.Failed, "unknown product: ghost"), decision);
    }

    [Fact]
    public void Decide_reports_unknown_products_before_short_ones()
    {
        var decision = StockCheck.Decide([new("a", 100), new("ghost", 1), new("phantom", 1)], Stock(("a", 1)));

        Assert.Equal(OrderStatus.Failed, decision.Status);
        Assert.Equal("unknown product: ghost, phantom", decision.Reason);
    }

    [Fact]
    public void Decide_matches_product_ids_ordinally()
    {
        var decision = StockCheck.Decide([new("SKU", 1)], Stock(("sku", 10)));

        Assert.Equal("unknown product: SKU", decision.Reason);
    }

    [Fact]
    public void Decide_keeps_the_reason_within_its_column_for_fifty_unknown_products_of_64_characters()
    {
        // failure_reason is VARCHAR(500): a longer reason fails the order transaction with error 1406 on every delivery.
        var lines = Enumerable.Range(0, 50).Select(i => new OrderLine($"{i:D2}-".PadRight(64, 'u'), 1)).ToList();

        var decision = StockCheck.Decide(lines, Stock());

        Assert.Equal(OrderStatus.Failed, decision.Status);
        Assert.StartsWith("unknown product: " + lines[0].ProductId, decision.Reason, StringComparison.Ordinal);
        Assert.InRange(decision.Reason!.EnumerateRunes().Count(), 1, 500);
        Assert.Matches(@" and \d+ more$", decision.Reason);
    }

    [Fact]
    public void DecideInTurn_serves_orders_in_their_order_each_against_what_the_earlier_ones_left()
    {
        IReadOnlyList<IReadOnlyList<OrderLine>> orders =
        [
            [new("a", 4), new("b", 1)],
            [new("a", 3)],              // 2 left: fails
            [new("a", 2), new("c", 1)], // takes the last 2
            [new("b", 1)],
            [new("a", 1)],              // none left
        ];
        var available = Stock(("a", 6), ("b", 2), ("c", 1));

        var (decisions, taken) = StockCheck.DecideInTurn(orders, available);

        Assert.Equal([true, false, true, true, false], decisions.Select(d => d.Accepted));
        Assert.Equal("insufficient stock: a (requested 3, available 2)", decisions[1].Reason);
        Assert.Equal(Stock(("a", 6), ("b", 2), ("c", 1)), taken);
        // The caller's stock is left as it was read.
        Assert.Equal(6, available["a"]);
    }

    [Fact]
    public void DecideInTurn_takes_nothing_for_a_failed_order_with_one_line_that_fits()
    {
        var (decisions, taken) = StockCheck.DecideInTurn([[new("a", 1), new("b", 9)], [new("a", 2)]], Stock(("a", 2), ("b", 1)));

        Assert.Equal([false, true], decisions.Select(d => d.Accepted));
        Assert.Equal(Stock(("a", 2)), taken);
    }
}
