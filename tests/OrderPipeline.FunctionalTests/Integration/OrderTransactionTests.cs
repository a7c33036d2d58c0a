using OrderPipeline.Messaging.Events;
using OrderPipeline.Processor.Orders;
using OrderPipeline.Tests.Shared;
using OrderPipeline.FunctionalTests.Support;

namespace OrderPipeline.FunctionalTests.Integration;

/// <summary>The order transaction against the real MariaDB: locking, idempotency, failure reasons.</summary>
[Collection(InfrastructureCollection.Name)]
public sealed class OrderTransactionTests(InfrastructureFixture infra)
{
    private PipelineDatabase Db => infra.Database;

    private static OrderCreated Order(string customer, params (string ProductId, int Quantity)[] items) =>
        new(Guid.CreateVersion7().ToString(), customer, [.. items.Select(i => new OrderLine(i.ProductId, i.Quantity))], DateTime.UtcNow);

    [Fact]
    public async Task Concurrent_orders_on_scarce_stock_never_oversell_and_never_deadlock()
    {
        await using var parts = new ProcessorParts(Db.ConnectionString, "order-processed");
        var a = await Db.AddProductAsync(40);
        var b = await Db.AddProductAsync(25);
        var random = new Random(7);
        // Lines in either order: the transaction must lock in product_id order regardless.
        var orders = Enumerable.Range(0, 240).Select(i => random.Next(3) switch
        {
            0 => Order("hot", (a, 1 + random.Next(3))),
            1 => Order("hot", (b, 1 + random.Next(2)), (a, 1)),
            _ => Order("hot", (a, 1), (b, 1)),
        }).ToList();

        var outcomes = new List<OrderOutcome>();
        await Parallel.ForEachAsync(
            orders,
            new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = TestContext.Current.CancellationToken },
            async (order, ct) =>
        {
            var outcome = await parts.Transaction.ExecuteAsync(order, ct);
            lock (outcomes)
            {
                outcomes.Add(outcome);
            }
        });

        Assert.Equal(orders.Count, outcomes.Count(o => o.Settled is not null));
        var processed = orders.Where(o => outcomes.Single(x => x.Settled!.OrderId == o.OrderId).Settled!.Status == OrderStatus.Processed).ToList();
        int Consumed(string product) => processed.SelectMany(o => o.Items).Where(i => i.ProductId == product).Sum(i => i.Quantity);
        Assert.Equal(40 - Consumed(a), await Db.StockAsync(a));
        Assert.Equal(25 - Consumed(b), await Db.StockAsync(b));
        Assert.InRange(await Db.StockAsync(a), 0, 40);
        Assert.InRange(await Db.StockAsync(b), 0, 25);
        Assert.NotEmpty(processed);
        Assert.Contains(outcomes, o => o.Settled!.Status == OrderStatus.Failed);
    }

    [Fact]
    public async Task A_redelivered_order_changes_nothing_but_still_has_its_event_to_publish()
    {
        await using var parts = new ProcessorParts(Db.ConnectionString, "order-processed");
        var product = await Db.AddProductAsync(10);
        var order = Order("redelivery", (product, 4));

        var first = await parts.Transaction.ExecuteAsync(order, TestContext.Current.CancellationToken);
        var second = await parts.Transaction.ExecuteAsync(order, TestContext.Current.CancellationToken);

        Assert.Equal(OrderStatus.Processed, first.Settled?.Status);
        Assert.True(second.WasDuplicate);
        Assert.Equal(6, await Db.StockAsync(product));
        Assert.Equal(1, await Db.CountAsync("SELECT COUNT(*) FROM outbox WHERE message_id = @OrderId", new { order.OrderId }));
        // Not yet published, so the redelivery hands the same event back for publishing.
        Assert.Equal(first.Unpublished?.Id, second.Unpublished?.Id);
    }

    [Fact]
    public async Task The_same_order_delivered_many_times_at_once_is_applied_once()
    {
        await using var parts = new ProcessorParts(Db.ConnectionString, "order-processed");
        var product = await Db.AddProductAsync(10);
        var order = Order("storm", (product, 3));

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => parts.Transaction.ExecuteAsync(order, TestContext.Current.CancellationToken)));

        Assert.Single(outcomes, o => !o.WasDuplicate);
        Assert.Equal(7, await Db.StockAsync(product));
        Assert.Equal(1, await Db.CountAsync("SELECT COUNT(*) FROM orders WHERE order_id = @OrderId", new { order.OrderId }));
    }

    [Fact]
    public async Task Unknown_products_and_short_stock_fail_with_reasons_and_touch_no_stock()
    {
        await using var parts = new ProcessorParts(Db.ConnectionString, "order-processed");
        var product = await Db.AddProductAsync(3);

        var unknown = await parts.Transaction.ExecuteAsync(Order("reasons", (product, 1), ("GHOST-1", 1)), TestContext.Current.CancellationToken);
        var shortStock = await parts.Transaction.ExecuteAsync(Order("reasons", (product, 4)), TestContext.Current.CancellationToken);

        Assert.Equal(OrderStatus.Failed, unknown.Settled?.Status);
        Assert.Contains("unknown product: GHOST-1", unknown.Settled?.Reason, StringComparison.Ordinal);
        Assert.Equal(OrderStatus.Failed, shortStock.Settled?.Status);
        Assert.Contains("insufficient stock", shortStock.Settled?.Reason, StringComparison.Ordinal);
        Assert.Equal(3, await Db.StockAsync(product));
        Assert.Equal("FAILED", await Db.StatusAsync(unknown.Settled!.OrderId));
    }

    [Fact]
    public async Task A_duplicate_product_line_in_an_event_is_summed()
    {
        await using var parts = new ProcessorParts(Db.ConnectionString, "order-processed");
        var product = await Db.AddProductAsync(5);

        var outcome = await parts.Transaction.ExecuteAsync(Order("merge", (product, 2), (product, 2)), TestContext.Current.CancellationToken);

        Assert.Equal(OrderStatus.Processed, outcome.Settled?.Status);
        Assert.Equal(1, await Db.StockAsync(product));
    }
}
