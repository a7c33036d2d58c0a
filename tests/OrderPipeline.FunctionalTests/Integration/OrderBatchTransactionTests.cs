using Dapper;
using MySqlConnector;
using OrderPipeline.Messaging.Events;
using OrderPipeline.Processor.Orders;
using OrderPipeline.Tests.Shared;
using OrderPipeline.FunctionalTests.Support;

namespace OrderPipeline.FunctionalTests.Integration;

/// <summary>Many orders settled in one transaction against the real MariaDB: decided in turn, all or nothing, never deadlocked.</summary>
[Collection(InfrastructureCollection.Name)]
public sealed class OrderBatchTransactionTests(InfrastructureFixture infra)
{
    private PipelineDatabase Db => infra.Database;

    private static ReceivedOrder Order(string customer, params (string ProductId, int Quantity)[] items) =>
        new(new OrderCreated(Guid.CreateVersion7().ToString(), customer, [.. items.Select(i => new OrderLine(i.ProductId, i.Quantity))], DateTime.UtcNow));

    [Fact]
    public async Task A_batch_on_scarce_stock_serves_orders_in_turn_and_fails_the_rest_inside_the_same_commit()
    {
        await using var parts = new ProcessorParts(Db.ConnectionString, "order-processed");
        var hot = await Db.AddProductAsync(6);
        var other = await Db.AddProductAsync(100);
        // Each wants 2 of the hot product: the first three fit; the fourth fails, and so does every later one, though the
        // fifth asks for what the fourth did not take (1 unit, too): nothing is left after three.
        var orders = Enumerable.Range(0, 10).Select(i => Order("batch", (hot, 2), (other, 1))).ToList();

        var outcomes = await parts.Transaction.ExecuteAsync(orders, TestContext.Current.CancellationToken);

        Assert.Equal(
            [.. Enumerable.Repeat(OrderStatus.Processed, 3), .. Enumerable.Repeat(OrderStatus.Failed, 7)],
            outcomes.Select(o => o.Settled!.Status));
        Assert.Equal(0, await Db.StockAsync(hot));
        Assert.Equal(97, await Db.StockAsync(other));
        Assert.All(outcomes.Skip(3), o => Assert.Contains("insufficient stock", o.Settled!.Reason));
        // Every order has its row, its final status and its OrderProcessed in the outbox, ready to publish.
        var ids = orders.Select(o => o.Order.OrderId).ToArray();
        Assert.Equal(3, await Db.CountAsync(
            "SELECT COUNT(*) FROM orders WHERE order_id IN @Ids AND status = 'PROCESSED' AND processed_at IS NOT NULL",
            new { Ids = ids }));
        Assert.Equal(7, await Db.CountAsync(
            "SELECT COUNT(*) FROM orders WHERE order_id IN @Ids AND status = 'FAILED' AND failure_reason IS NOT NULL",
            new { Ids = ids }));
        Assert.Equal(10, await Db.CountAsync("SELECT COUNT(*) FROM outbox WHERE message_id IN @Ids AND published_at IS NULL", new { Ids = ids }));
        Assert.All(outcomes, o => Assert.NotNull(o.Unpublished));
    }

    [Fact]
    public async Task A_smaller_order_after_a_failed_one_is_still_served()
    {
        await using var parts = new ProcessorParts(Db.ConnectionString, "order-processed");
        var product = await Db.AddProductAsync(5);

        var outcomes = await parts.Transaction.ExecuteAsync(
            [Order("turn", (product, 4)), Order("turn", (product, 3)), Order("turn", (product, 1))], TestContext.Current.CancellationToken);

        Assert.Equal([OrderStatus.Processed, OrderStatus.Failed, OrderStatus.Processed], outcomes.Select(o => o.Settled!.Status));
        Assert.Equal(0, await Db.StockAsync(product));
    }

    [Fact]
    public async Task Orders_already_recorded_in_a_batch_change_nothing_and_hand_back_their_unpublished_event()
    {
        await using var parts = new ProcessorParts(Db.ConnectionString, "order-processed");
        var product = await Db.AddProductAsync(10);
        var earlier = Order("again", (product, 4));
        var first = await parts.Transaction.ExecuteAsync([earlier], TestContext.Current.CancellationToken);

        var outcomes = await parts.Transaction.ExecuteAsync(
            [Order("again", (product, 1)), earlier, Order("again", (product, 2))],
            TestContext.Current.CancellationToken);

        Assert.True(outcomes[1].WasDuplicate);
        Assert.Equal(first[0].Unpublished?.Id, outcomes[1].Unpublished?.Id);
        Assert.Equal(OrderStatus.Processed, outcomes[0].Settled?.Status);
        Assert.Equal(OrderStatus.Processed, outcomes[2].Settled?.Status);
        Assert.Equal(3, await Db.StockAsync(product));
    }

    [Fact]
    public async Task Concurrent_batches_over_the_same_products_in_any_order_never_deadlock_or_oversell()
    {
        await using var parts = new ProcessorParts(Db.ConnectionString, "order-processed");
        var a = await Db.AddProductAsync(150);
        var b = await Db.AddProductAsync(90);
        var c = await Db.AddProductAsync(60);
        var random = new Random(12);
        (string, int)[] Lines() => random.Next(4) switch
        {
            0 => [(c, 1), (a, 2)],
            1 => [(b, 1), (a, 1), (c, 1)],
            2 => [(a, 1)],
            _ => [(c, 2), (b, 1)],
        };
        var batches = Enumerable.Range(0, 40).Select(_ => Enumerable.Range(0, 10).Select(_ => Order("crowd", Lines())).ToList()).ToList();

        var outcomes = new List<(ReceivedOrder Order, OrderOutcome Outcome)>();
        await Parallel.ForEachAsync(
            batches,
            new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = TestContext.Current.CancellationToken },
            async (batch, ct) =>
        {
            var settled = await parts.Transaction.ExecuteAsync(batch, ct);
            lock (outcomes)
            {
                outcomes.AddRange(batch.Zip(settled));
            }
        });

        Assert.Equal(400, outcomes.Count(o => o.Outcome.Settled is not null));
        var served = outcomes.Where(o => o.Outcome.Settled!.Status == OrderStatus.Processed).SelectMany(o => o.Order.Order.Items).ToList();
        int Taken(string product) => served.Where(i => i.ProductId == product).Sum(i => i.Quantity);
        Assert.Equal(150 - Taken(a), await Db.StockAsync(a));
        Assert.Equal(90 - Taken(b), await Db.StockAsync(b));
        Assert.Equal(60 - Taken(c), await Db.StockAsync(c));
        Assert.Contains(outcomes, o => o.Outcome.Settled!.Status == OrderStatus.Failed);
    }

    [Fact]
    public async Task Data_the_database_refuses_fails_a_batch_whole_so_it_can_be_split_but_a_single_order_is_settled_failed()
    {
        await using var parts = new ProcessorParts(Db.ConnectionString, "order-processed");
        var refusedProduct = await Db.AddProductAsync(10);
        var other = await Db.AddProductAsync(10);
        // This product's decrement writes a value the CHECK refuses, every time.
        await using (await Db.ForceStockWritesAsync(refusedProduct, "-1"))
        {
            var good = Order("refused", (other, 2));
            var refused = Order("refused", (refusedProduct, 1));
            var ids = new[] { good.Order.OrderId, refused.Order.OrderId };

            await Assert.ThrowsAnyAsync<MySqlException>(() => parts.Transaction.ExecuteAsync([good, refused], TestContext.Current.CancellationToken));
            Assert.Equal(0, await Db.CountAsync("SELECT COUNT(*) FROM orders WHERE order_id IN @Ids", new { Ids = ids }));
            Assert.Equal(10, await Db.StockAsync(other));

            // What the consumer does next: the halves, one order each.
            var alone = await parts.Transaction.ExecuteAsync([good], TestContext.Current.CancellationToken);
            var refusedAlone = await parts.Transaction.ExecuteAsync([refused], TestContext.Current.CancellationToken);
            Assert.Equal(OrderStatus.Processed, alone[0].Settled?.Status);
            Assert.Equal(OrderStatus.Failed, refusedAlone[0].Settled?.Status);
            Assert.Equal(8, await Db.StockAsync(other));
            Assert.Equal(10, await Db.StockAsync(refusedProduct));
        }
    }
}
