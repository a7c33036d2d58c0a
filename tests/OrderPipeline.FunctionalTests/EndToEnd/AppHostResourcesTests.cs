using System.Net;
using System.Text.Json;
using Amazon.SQS.Model;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using OrderPipeline.Tests.Shared;
using OrderPipeline.FunctionalTests.Support;

namespace OrderPipeline.FunctionalTests.EndToEnd;

/// <summary>What the AppHost adds to Aspire: queue resources with live counts, DLQ commands, supervision, database reset.</summary>
[Collection(PipelineCollection.Name)]
public sealed class AppHostResourcesTests(PipelineFixture system)
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_valid_order_parked_in_the_dlq_shows_in_its_counts_and_is_processed_after_the_redrive_command()
    {
        var product = await system.Database.AddProductAsync(5);
        var orderId = Guid.CreateVersion7().ToString();
        var deadLetterUrl = await system.QueueUrlAsync("order-created-dlq");
        // As the Api would have published it, parked by an outage.
        var orderCreated = JsonSerializer.Serialize(new
        {
            order_id = orderId,
            customer_id = "customer-parked",
            items = new[] { new { product_id = product, quantity = 2 } },
            timestamp = DateTime.UtcNow,
        });
        await system.SqsClient.SendMessageAsync(new SendMessageRequest(deadLetterUrl, orderCreated)
        {
            MessageAttributes = new() { ["event_type"] = new MessageAttributeValue { DataType = "String", StringValue = "OrderCreated" } },
        }, TestContext.Current.CancellationToken);

        var parked = await WaitForPropertyAsync("order-created-dlq", "queue.visible", "1");
        Assert.NotEqual("none", Property(parked, "queue.oldest"));

        var result = await system.ExecuteCommandAsync("order-created-dlq", "redrive");

        Assert.True(result.Success, result.Message);
        await Eventually.AssertAsync(async () => await system.Database.StatusAsync(orderId) == "PROCESSED", Settle, "the redriven order to be processed");
        Assert.Equal(3, await system.Database.StockAsync(product));
        await WaitForPropertyAsync("order-created-dlq", "queue.visible", "0");
    }

    [Fact]
    public async Task The_emulator_killed_comes_back_by_itself_with_its_queues_and_orders_are_accepted_again()
    {
        var before = PipelineFixture.ProcessIdOf(await system.CurrentStateAsync("sqs"))!.Value;
        var product = await system.Database.AddProductAsync(5);

        PipelineFixture.Kill(before);

        await system.App.ResourceNotifications.WaitForResourceAsync("sqs",
            e => e.Snapshot.HealthStatus == HealthStatus.Healthy && PipelineFixture.ProcessIdOf(e) is { } pid && pid != before,
            TestContext.Current.CancellationToken).WaitAsync(Settle, TestContext.Current.CancellationToken);
        // The queues are created again as soon as the emulator answers; until then the Api says 503, never 202.
        var orderId = await Eventually.GetAsync(async () =>
        {
            using var response = await system.Api.PlaceAsync("customer-after-emulator-crash", (product, 1));
            Assert.True(response.StatusCode is HttpStatusCode.Accepted or HttpStatusCode.ServiceUnavailable, $"got {response.StatusCode}");
            return response.StatusCode == HttpStatusCode.Accepted ? await OrderClient.OrderIdOf(response) : null;
        }, id => id is not null, Settle, "an order to be accepted after the emulator came back");

        Assert.Equal("PROCESSED", (await system.Api.WaitSettledAsync(orderId!)).GetProperty("status").GetString());
    }

    [Fact]
    public async Task Resetting_the_database_removes_every_order_and_puts_back_the_sample_inventory()
    {
        var orderId = await system.Api.PlaceAcceptedAsync("customer-before-reset", ("SKU-1001", 1));
        await system.Api.WaitSettledAsync(orderId);
        var ownProduct = await system.Database.AddProductAsync(3);

        var result = await system.ExecuteCommandAsync("orders", "reset-database");

        Assert.True(result.Success, result.Message);
        Assert.Equal(0, await system.Database.CountAsync("SELECT COUNT(*) FROM orders"));
        Assert.Equal(0, await system.Database.CountAsync("SELECT COUNT(*) FROM inventory WHERE product_id = @ownProduct", new { ownProduct }));
        Assert.Equal(8, await system.Database.CountAsync("SELECT COUNT(*) FROM inventory WHERE product_id LIKE 'SKU-10%'"));
        // And the pipeline carries on.
        var after = await system.Api.PlaceAcceptedAsync("customer-after-reset", ("SKU-1001", 1));
        Assert.Equal("PROCESSED", (await system.Api.WaitSettledAsync(after)).GetProperty("status").GetString());
    }

    private Task<ResourceEvent> WaitForPropertyAsync(string resource, string property, string value) =>
        system.App.ResourceNotifications.WaitForResourceAsync(resource, e => Property(e, property) == value, TestContext.Current.CancellationToken)
            .WaitAsync(Settle, TestContext.Current.CancellationToken);

    private static string? Property(ResourceEvent resource, string name) =>
        resource.Snapshot.Properties.FirstOrDefault(p => p.Name == name)?.Value?.ToString();
}
