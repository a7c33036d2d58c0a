using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Amazon.SQS.Model;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using OrderPipeline.Tests.Shared;
using OrderPipeline.FunctionalTests.Support;

namespace OrderPipeline.FunctionalTests.EndToEnd;

/// <summary>The whole system, as the laptop runs it.</summary>
[Collection(PipelineCollection.Name)]
public sealed class LaptopPipelineTests(PipelineFixture system) : PipelineTests(system);

/// <summary>The whole system in the shape AWS runs it: Lambda functions behind the HTTP API, SQS event sources and the schedule.</summary>
[Collection(LambdaPipelineCollection.Name)]
public sealed class LambdaPipelineTests(LambdaPipelineFixture system) : PipelineTests(system);

/// <summary>The whole system, driven from outside over HTTP and SQS, with stock arranged in the database: in both shapes.</summary>
public abstract class PipelineTests(PipelineFixture system)
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(60);
    private HttpClient Api => system.Api;
    private PipelineDatabase Db => system.Database;

    [Fact]
    public async Task A_valid_order_is_processed_its_stock_falls_and_the_customer_is_notified_once()
    {
        var keyboard = await Db.AddProductAsync(10);
        var mouse = await Db.AddProductAsync(5);

        using var response = await Api.PlaceAsync("customer-happy", (keyboard, 3), (mouse, 5));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var orderId = await OrderClient.OrderIdOf(response);
        Assert.Equal($"/api/orders/{orderId}", response.Headers.Location?.OriginalString);

        var order = await Api.WaitSettledAsync(orderId);
        Assert.Equal("PROCESSED", order.GetProperty("status").GetString());
        Assert.Equal(7, await Db.StockAsync(keyboard));
        Assert.Equal(0, await Db.StockAsync(mouse));
        var notification = Assert.Single(await Eventually.GetAsync(
            () => Task.FromResult(system.NotificationsOf(orderId)), n => n.Count > 0, Settle, "the notification"));
        Assert.Contains("PROCESSED", notification, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_order_beyond_the_stock_fails_with_the_reason_and_leaves_stock_untouched()
    {
        var scarce = await Db.AddProductAsync(2);
        var plenty = await Db.AddProductAsync(100);

        var orderId = await Api.PlaceAcceptedAsync("customer-short", (plenty, 1), (scarce, 3));
        var order = await Api.WaitSettledAsync(orderId);

        Assert.Equal("FAILED", order.GetProperty("status").GetString());
        Assert.Contains("insufficient stock", order.GetProperty("failure_reason").GetString(), StringComparison.Ordinal);
        Assert.Contains(scarce, order.GetProperty("failure_reason").GetString(), StringComparison.Ordinal);
        Assert.Equal(2, await Db.StockAsync(scarce));
        Assert.Equal(100, await Db.StockAsync(plenty));
    }

    [Fact]
    public async Task An_order_for_an_unknown_product_fails()
    {
        var known = await Db.AddProductAsync(10);
        var orderId = await Api.PlaceAcceptedAsync("customer-unknown", (known, 1), ("NO-SUCH-PRODUCT", 1));

        var order = await Api.WaitSettledAsync(orderId);

        Assert.Equal("FAILED", order.GetProperty("status").GetString());
        Assert.Contains("unknown product", order.GetProperty("failure_reason").GetString(), StringComparison.Ordinal);
        Assert.Equal(10, await Db.StockAsync(known));
    }

    [Fact]
    public async Task Bad_requests_are_all_refused_with_4xx_and_publish_nothing()
    {
        var product = await Db.AddProductAsync(10);
        var customer = "customer-bad-" + Guid.NewGuid().ToString("N")[..8];
        string[] bodies =
        [
            "{not json",
            "[]",
            "{}",
            $$"""{"customer_id":"{{customer}}"}""",
            $$"""{"customer_id":"{{customer}}","items":[]}""",
            $$"""{"customer_id":"{{customer}}","items":[{"product_id":"{{product}}","quantity":0}]}""",
            $$"""{"customer_id":"{{customer}}","items":[{"product_id":"{{product}}","quantity":1.5}]}""",
            $$"""{"customer_id":"{{customer}}","items":[{"product_id":"{{product}}","quantity":"2"}]}""",
            $$"""{"customer_id":"{{customer}}","items":[{"product_id":"{{product}}","quantity":100000}]}""",
            $$"""{"customer_id":"{{customer}}","items":[{"quantity":1}]}""",
            $$"""{"customer_id":"{{customer}}","items":[{"product_id":"{{product}}","quantity":1},{"product_id":"{{product}}","quantity":1}]}""",
            $$"""{"customer_id":"{{customer}}","items":[{"product_id":"{{product}}","quantity":1}],"coupon":"FREE"}""",
            $$"""{"customer_id":"{{new string('c', 65)}}","items":[{"product_id":"{{product}}","quantity":1}]}""",
            $$"""{"customer_id":"{{customer}}","items":["""
                + string.Join(",", Enumerable.Range(0, 51).Select(i => $$"""{"product_id":"P{{i}}","quantity":1}"""))
                + "]}",
        ];
        foreach (var body in bodies)
        {
            using var response = await Api.PostAsync(
                "/api/orders",
                new StringContent(body, Encoding.UTF8, "application/json"),
                TestContext.Current.CancellationToken);
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{body[..Math.Min(60, body.Length)]} gave {response.StatusCode}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }

        using (var wrongType = await Api.PostAsync(
            "/api/orders",
            new StringContent($$"""{"customer_id":"{{customer}}","items":[{"product_id":"{{product}}","quantity":1}]}""",
                Encoding.UTF8, "text/plain"),
            TestContext.Current.CancellationToken))
        {
            Assert.Equal(HttpStatusCode.UnsupportedMediaType, wrongType.StatusCode);
        }
        using (var huge = await Api.PostAsync(
            "/api/orders",
            new StringContent($$"""{"customer_id":"{{customer}}","pad":"{{new string('x', 20_000)}}"}""",
                Encoding.UTF8, "application/json"),
            TestContext.Current.CancellationToken))
        {
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, huge.StatusCode);
        }

        // A good order sent after them is processed; had any bad one been published, it would be recorded by now too.
        var sentinel = await Api.PlaceAcceptedAsync(customer, (product, 1));
        await Api.WaitSettledAsync(sentinel);
        var recorded = await Db.OrdersOfCustomerAsync(customer);
        Assert.Equal(sentinel, Assert.Single(recorded).OrderId);
        Assert.Equal(9, await Db.StockAsync(product));
    }

    [Fact]
    public async Task Two_hundred_concurrent_orders_for_fifty_in_stock_never_oversell()
    {
        var product = await Db.AddProductAsync(50);
        var customer = "customer-rush-" + Guid.NewGuid().ToString("N")[..8];

        var placed = await Task.WhenAll(Enumerable.Range(0, 200).Select(_ => Api.PlaceAcceptedAsync(customer, (product, 1))));

        var statuses = await Eventually.GetAsync(
            () => Db.OrdersOfCustomerAsync(customer),
            orders => orders.Count == 200 && orders.All(o => o.Status != "PENDING"),
            Settle, "all 200 orders to settle");
        Assert.Equal(placed.Order(), statuses.Select(s => s.OrderId).Order());
        Assert.Equal(50, statuses.Count(s => s.Status == "PROCESSED"));
        Assert.Equal(150, statuses.Count(s => s.Status == "FAILED"));
        Assert.Equal(0, await Db.StockAsync(product));
    }

    [Fact]
    public async Task The_same_idempotency_key_twice_makes_one_order()
    {
        var product = await Db.AddProductAsync(10);
        var key = Guid.NewGuid().ToString();

        using var first = await Api.PlaceAsync("customer-retry", key, (product, 2));
        using var second = await Api.PlaceAsync("customer-retry", key, (product, 2));
        using var otherCustomer = await Api.PlaceAsync("customer-other", key, (product, 1));

        var firstId = await OrderClient.OrderIdOf(first);
        var otherId = await OrderClient.OrderIdOf(otherCustomer);
        Assert.Equal(firstId, await OrderClient.OrderIdOf(second));
        Assert.NotEqual(firstId, otherId);
        await Api.WaitSettledAsync(firstId);
        await Api.WaitSettledAsync(otherId);
        Assert.Equal(1, await Db.CountAsync("SELECT COUNT(*) FROM orders WHERE order_id = @firstId", new { firstId }));
        Assert.Equal(7, await Db.StockAsync(product));
        Assert.Single(await Eventually.GetAsync(() => Task.FromResult(system.NotificationsOf(firstId)), n => n.Count > 0, Settle, "the notification"));
    }

    [Fact]
    public async Task A_poison_message_reaches_the_dlq_after_three_receives_and_later_orders_still_process()
    {
        var marker = "poison-" + Guid.NewGuid().ToString("N");
        var queueUrl = await system.QueueUrlAsync("order-created");
        var deadLetterUrl = await system.QueueUrlAsync("order-created-dlq");
        await system.SqsClient.SendMessageAsync(queueUrl, $$"""{"not_an_order":"{{marker}}"}""", TestContext.Current.CancellationToken);
        var product = await Db.AddProductAsync(5);
        var after = await Api.PlaceAcceptedAsync("customer-after-poison", (product, 1));

        var dead = await Eventually.GetAsync(
            async () =>
            {
                var received = await system.SqsClient.ReceiveMessageAsync(new ReceiveMessageRequest
                {
                    QueueUrl = deadLetterUrl,
                    MaxNumberOfMessages = 10,
                    WaitTimeSeconds = 1,
                    VisibilityTimeout = 0,
                    MessageSystemAttributeNames = ["ApproximateReceiveCount"],
                }, TestContext.Current.CancellationToken);
                return (received.Messages ?? []).FirstOrDefault(m => m.Body.Contains(marker, StringComparison.Ordinal));
            },
            message => message is not null, Settle, "the poison message in order-created-dlq");

        Assert.Equal("PROCESSED", (await Api.WaitSettledAsync(after)).GetProperty("status").GetString());
        await system.SqsClient.DeleteMessageAsync(deadLetterUrl, dead!.ReceiptHandle, TestContext.Current.CancellationToken);
        var invalidLogs = (await system.ConsoleOfAsync(system.Processor)).Count(l => l.Contains("not a valid event", StringComparison.Ordinal));
        Assert.True(invalidLogs >= 3, $"the processor logged the poison message {invalidLogs} times");
    }

    [Fact]
    public async Task Killing_the_processor_mid_stream_loses_nothing_and_applies_nothing_twice()
    {
        var product = await Db.AddProductAsync(60);
        var customer = "customer-crash-" + Guid.NewGuid().ToString("N")[..8];
        var placing = Task.WhenAll(Enumerable.Range(0, 100).Select(i => Api.PlaceAcceptedAsync(customer, (product, 1 + i % 2))));
        await Eventually.AssertAsync(async () => await Db.CountAsync("SELECT COUNT(*) FROM orders WHERE customer_id = @customer", new { customer }) > 0,
            Settle, "the first orders to be recorded");
        var killed = await system.KillProcessorAsync();
        Assert.NotEmpty(killed);
        var placed = await placing;

        if (!system.Lambda)
        {
            // Nobody starts it: the AppHost's supervision brings it back. (A function starts a new sandbox by itself.)
            await system.App.ResourceNotifications.WaitForResourceAsync(system.Processor,
                e => e.Snapshot.HealthStatus == Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy
                     && PipelineFixture.ProcessIdOf(e) is { } pid && !killed.Contains(pid),
                TestContext.Current.CancellationToken).WaitAsync(Settle, TestContext.Current.CancellationToken);
        }
        var orders = await Eventually.GetAsync(
            () => Db.OrdersOfCustomerAsync(customer),
            o => o.Count == placed.Length && o.All(x => x.Status != "PENDING"),
            TimeSpan.FromSeconds(120), "every accepted order to settle after the crash");

        Assert.Equal(placed.Order(), orders.Select(o => o.OrderId).Order());
        var quantities = placed.Select((id, i) => (id, quantity: 1 + i % 2)).ToDictionary(x => x.id, x => x.quantity);
        var consumed = orders.Where(o => o.Status == "PROCESSED").Sum(o => quantities[o.OrderId]);
        Assert.Equal(60 - consumed, await Db.StockAsync(product));
        Assert.True(await Db.StockAsync(product) >= 0);
        // Every settled order's event reached the Notifier exactly once.
        await Eventually.AssertAsync(
            async () => await Db.CountAsync(
                "SELECT COUNT(*) FROM notifications n JOIN orders o ON o.order_id = n.order_id"
                    + " WHERE o.customer_id = @customer",
                new { customer }) == placed.Length,
            Settle, "a notification per order");
        // A row sent just before the kill is published but not yet marked: the relay marks it once its lease runs out.
        await Eventually.AssertAsync(
            async () => await Db.CountAsync(
                "SELECT COUNT(*) FROM outbox x JOIN orders o ON o.order_id = x.message_id"
                    + " WHERE o.customer_id = @customer AND x.published_at IS NULL",
                new { customer }) == 0,
            Settle, "the outbox to drain");
    }

    [Fact]
    public async Task Orders_accepted_while_the_database_is_down_are_processed_once_it_is_back()
    {
        var product = await Db.AddProductAsync(10);
        var customer = "customer-dbdown-" + Guid.NewGuid().ToString("N")[..8];
        var invocationsBefore = Property(await system.CurrentStateAsync(system.Processor), "lambda.invocations");

        Assert.True((await system.ExecuteCommandAsync("mysql", KnownResourceCommands.StopCommand)).Success);
        string[] placed;
        try
        {
            // The Api needs only the queue to accept orders.
            placed = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => Api.PlaceAcceptedAsync(customer, (product, 1))));
            if (system.Lambda)
            {
                // A batch reached the function while the database was down (and was sent back to wait for it).
                await Eventually.AssertAsync(async () => Property(await system.CurrentStateAsync(system.Processor), "lambda.invocations")
                    != invocationsBefore, Settle, "the processor function to be invoked during the outage");
            }
            else
            {
                using var processor = system.App.CreateHttpClient(system.Processor, "http");
                await Eventually.AssertAsync(async () =>
                {
                    using var response = await processor.GetAsync("/health", TestContext.Current.CancellationToken);
                    return response.StatusCode == HttpStatusCode.ServiceUnavailable;
                }, Settle, "the processor to report the database down");
            }
        }
        finally
        {
            Assert.True((await system.ExecuteCommandAsync("mysql", KnownResourceCommands.StartCommand)).Success);
        }
        // Its port is not proxied: until the server is up, a connection is refused rather than held.
        await system.App.ResourceNotifications.WaitForResourceHealthyAsync("mysql", TestContext.Current.CancellationToken)
            .WaitAsync(Settle, TestContext.Current.CancellationToken);

        var orders = await Eventually.GetAsync(() => Db.OrdersOfCustomerAsync(customer),
            o => o.Count == 5 && o.All(x => x.Status == "PROCESSED"), TimeSpan.FromSeconds(90), "the orders to be processed after the outage");
        Assert.Equal(placed.Order(), orders.Select(o => o.OrderId).Order());
        Assert.Equal(5, await Db.StockAsync(product));
    }

    [Fact]
    public async Task The_api_describes_itself_with_an_openapi_document_and_behind_the_gateway_only_the_templates_routes_exist()
    {
        using var response = await Api.GetAsync("/openapi/v1.json", TestContext.Current.CancellationToken);
        if (system.Lambda)
        {
            // As in AWS: the HTTP API has the two routes of infra/template.yaml, and nothing else reaches the function.
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.Equal("{\"message\":\"Not Found\"}", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
            return;
        }
        response.EnsureSuccessStatusCode();
        var paths = (await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("paths");
        Assert.True(paths.TryGetProperty("/api/orders", out var post) && post.TryGetProperty("post", out _));
        Assert.True(paths.TryGetProperty("/api/orders/{order_id}", out var get) && get.TryGetProperty("get", out _));
    }

    [Fact]
    public async Task An_unknown_order_is_404_and_a_fresh_unrecorded_one_says_so()
    {
        using var unknown = await Api.GetAsync($"/api/orders/{Guid.NewGuid()}", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Null(unknown.Headers.RetryAfter);

        using var fresh = await Api.GetAsync($"/api/orders/{Guid.CreateVersion7()}", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.NotFound, fresh.StatusCode);
        Assert.NotNull(fresh.Headers.RetryAfter);
        Assert.Contains("not recorded yet", await fresh.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
    }

    private static string? Property(ResourceEvent resource, string name) =>
        Convert.ToString(resource.Snapshot.Properties.FirstOrDefault(p => p.Name == name)?.Value, System.Globalization.CultureInfo.InvariantCulture);
}
