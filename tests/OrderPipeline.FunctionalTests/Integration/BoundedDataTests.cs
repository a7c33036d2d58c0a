using System.Diagnostics;
using System.Text.Json;
using Amazon.SQS.Model;
using Dapper;
using MySqlConnector;
using OrderPipeline.Messaging.Events;
using OrderPipeline.Processor.Orders;
using OrderPipeline.Tests.Shared;
using OrderPipeline.FunctionalTests.Support;

namespace OrderPipeline.FunctionalTests.Integration;

/// <summary>
/// A valid order always ends PROCESSED or FAILED in the real MariaDB, never in a DLQ: reasons fit their column,
/// client-filled trace context fits its column, and data the database refuses settles the order FAILED.
/// </summary>
[Collection(InfrastructureCollection.Name)]
public sealed class BoundedDataTests(InfrastructureFixture infra)
{
    private PipelineDatabase Db => infra.Database;

    /// <summary>50 product ids of 64 characters (the Api's limits), unique to the call.</summary>
    private static List<string> LongIds(string kind)
    {
        var prefix = $"{kind}-{Guid.NewGuid():N}"[..20];
        return [.. Enumerable.Range(0, 50).Select(i => $"{prefix}-{i:D2}-".PadRight(64, 'x'))];
    }

    private static OrderCreated Order(string customer, IEnumerable<(string ProductId, int Quantity)> items) =>
        new(Guid.CreateVersion7().ToString(), customer, [.. items.Select(i => new OrderLine(i.ProductId, i.Quantity))], DateTime.UtcNow);

    private async Task<(string? Status, string? Reason, long ReasonLength)> RecordedAsync(string orderId)
    {
        await using var connection = new MySqlConnection(Db.ConnectionString);
        var row = await connection.QuerySingleOrDefaultAsync<(string?, string?, long?)>(
            "SELECT status, failure_reason, CHAR_LENGTH(failure_reason) FROM orders WHERE order_id = @orderId", new { orderId });
        return (row.Item1, row.Item2, row.Item3 ?? 0);
    }

    [Fact]
    public async Task Fifty_unknown_products_of_64_characters_fail_with_a_bounded_reason_through_the_real_transaction()
    {
        await using var parts = new ProcessorParts(Db.ConnectionString, "order-processed");
        var ids = LongIds("ghost");
        var order = Order("long-unknown", ids.Select(id => (id, 1)));

        var outcome = await parts.Transaction.ExecuteAsync(order, TestContext.Current.CancellationToken);

        Assert.Equal(OrderStatus.Failed, outcome.Settled?.Status);
        var (status, reason, length) = await RecordedAsync(order.OrderId);
        Assert.Equal("FAILED", status);
        Assert.InRange(length, 1, 500);
        Assert.StartsWith($"unknown product: {ids[0]}, {ids[1]}", reason, StringComparison.Ordinal);
        Assert.Matches(@" and \d+ more$", reason);
        Assert.Equal(outcome.Settled!.Reason, reason);
        Assert.Equal(1, await Db.CountAsync("SELECT COUNT(*) FROM outbox WHERE message_id = @OrderId", new { order.OrderId }));
    }

    [Fact]
    public async Task Fifty_short_lines_of_64_character_products_fail_with_a_bounded_reason_and_keep_their_stock()
    {
        await using var parts = new ProcessorParts(Db.ConnectionString, "order-processed");
        var ids = LongIds("short");
        await using (var connection = new MySqlConnection(Db.ConnectionString))
        {
            await connection.ExecuteAsync(
                "INSERT INTO inventory (product_id, product_name, quantity_available) VALUES (@ProductId, 'long id', 2)",
                ids.Select(id => new { ProductId = id }));
        }
        var order = Order("long-short", ids.Select(id => (id, 1000)));

        var outcome = await parts.Transaction.ExecuteAsync(order, TestContext.Current.CancellationToken);

        Assert.Equal(OrderStatus.Failed, outcome.Settled?.Status);
        var (status, reason, length) = await RecordedAsync(order.OrderId);
        Assert.Equal("FAILED", status);
        Assert.InRange(length, 1, 500);
        Assert.StartsWith($"insufficient stock: {ids[0]} (requested 1000, available 2)", reason, StringComparison.Ordinal);
        Assert.Equal(2, await Db.StockAsync(ids[49]));
    }

    [Fact]
    public async Task The_order_with_fifty_unknown_long_products_ends_failed_through_the_processor_and_nothing_reaches_the_dlq()
    {
        var (orderCreated, orderCreatedDlq) = await infra.CreateQueuePairAsync("long-ids");
        var (orderProcessed, _) = await infra.CreateQueuePairAsync("long-ids-out");
        await using var processor = new ServiceFactory<OrderCreatedHandler>(infra.ServiceSettings(orderCreated)
            .With(("Queues:OrderProcessed", orderProcessed)));
        _ = processor.Server; // starts the host and its consumer
        var order = Order("long-unknown-queued", LongIds("queued").Select(id => (id, 1)));

        await infra.SqsClient.SendMessageAsync(
            orderCreated,
            JsonSerializer.Serialize(order, EventJsonContext.Default.OrderCreated),
            TestContext.Current.CancellationToken);

        await Eventually.AssertAsync(async () => await Db.StatusAsync(order.OrderId) == "FAILED", TimeSpan.FromSeconds(60), "the order FAILED");
        var (_, reason, length) = await RecordedAsync(order.OrderId);
        Assert.InRange(length, 1, 500);
        Assert.StartsWith("unknown product: ", reason, StringComparison.Ordinal);
        var processed = await Eventually.GetAsync(
            () => infra.SqsClient.ReceiveMessageAsync(
                new ReceiveMessageRequest { QueueUrl = orderProcessed, WaitTimeSeconds = 1 },
                TestContext.Current.CancellationToken),
            r => r.Messages is { Count: > 0 }, TimeSpan.FromSeconds(30), "OrderProcessed published");
        var settled = JsonSerializer.Deserialize(Assert.Single(processed.Messages).Body, EventJsonContext.Default.OrderProcessed)!;
        Assert.Equal(OrderStatus.Failed, settled.Status);
        Assert.Equal(reason, settled.Reason);
        var dead = await infra.SqsClient.ReceiveMessageAsync(
            new ReceiveMessageRequest { QueueUrl = orderCreatedDlq, WaitTimeSeconds = 1 },
            TestContext.Current.CancellationToken);
        Assert.Empty(dead.Messages ?? []);
    }

    [Theory]
    [InlineData("-1", "CHECK constraint")]          // MariaDB 4025 / MySQL 3819
    [InlineData("2147483648", "out of range")]      // 1264
    public async Task Data_the_database_refuses_settles_the_order_failed_in_a_fresh_transaction_without_touching_stock(string forcedStock, string kind)
    {
        await using var parts = new ProcessorParts(Db.ConnectionString, "order-processed");
        var refused = await Db.AddProductAsync(10);
        var other = await Db.AddProductAsync(10);
        await using (await Db.ForceStockWritesAsync(refused, forcedStock))
        {
            var order = Order("refused-" + kind, [(other, 3), (refused, 1)]);

            var outcome = await parts.Transaction.ExecuteAsync(order, TestContext.Current.CancellationToken);
            var again = await parts.Transaction.ExecuteAsync(order, TestContext.Current.CancellationToken);

            Assert.Equal(OrderStatus.Failed, outcome.Settled?.Status);
            Assert.StartsWith("rejected by the database (error ", outcome.Settled!.Reason, StringComparison.Ordinal);
            var (status, reason, length) = await RecordedAsync(order.OrderId);
            Assert.Equal("FAILED", status);
            Assert.Equal(outcome.Settled.Reason, reason);
            Assert.InRange(length, 1, 500);
            // The first transaction (which had decremented `other`) was rolled back: no stock changed.
            Assert.Equal(10, await Db.StockAsync(other));
            Assert.Equal(10, await Db.StockAsync(refused));
            Assert.Equal(1, await Db.CountAsync("SELECT COUNT(*) FROM outbox WHERE message_id = @OrderId", new { order.OrderId }));
            Assert.True(again.WasDuplicate);
        }
    }

    [Fact]
    public async Task A_tracestate_longer_than_its_column_is_cut_and_the_order_still_settles()
    {
        await using var parts = new ProcessorParts(Db.ConnectionString, "order-processed");
        var product = await Db.AddProductAsync(5);
        // What a client's tracestate header becomes after the Api and the queue: 32 members of 64 characters.
        var members = Enumerable.Range(0, 32).Select(i => $"vendor{i:D2}=" + new string('s', 55)).ToList();
        using var incoming = new Activity("order-created process").SetIdFormat(ActivityIdFormat.W3C).Start();
        incoming.TraceStateString = string.Join(',', members);
        var order = Order("tracestate", [(product, 2)]);

        var outcome = await parts.Transaction.ExecuteAsync(order, TestContext.Current.CancellationToken);

        Assert.Equal(OrderStatus.Processed, outcome.Settled?.Status);
        Assert.Equal(3, await Db.StockAsync(product));
        await using var connection = new MySqlConnection(Db.ConnectionString);
        var (traceParent, traceState) = await connection.QuerySingleAsync<(string?, string?)>(
            "SELECT traceparent, tracestate FROM outbox WHERE message_id = @OrderId", new { order.OrderId });
        Assert.Equal(incoming.Id, traceParent);
        Assert.NotNull(traceState);
        Assert.InRange(traceState.Length, 1, 512);
        Assert.StartsWith(members[0] + "," + members[1], traceState, StringComparison.Ordinal);
    }
}
