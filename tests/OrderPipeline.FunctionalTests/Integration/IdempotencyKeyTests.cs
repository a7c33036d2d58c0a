using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Dapper;
using MySqlConnector;
using OrderPipeline.Api.Orders;
using OrderPipeline.Messaging.Events;
using OrderPipeline.Processor.Orders;
using OrderPipeline.Tests.Shared;
using OrderPipeline.FunctionalTests.Support;

namespace OrderPipeline.FunctionalTests.Integration;

/// <summary>
/// Idempotency-Keys: the real Api hosted in-process against the real MariaDB (which remembers
/// the keys) and the SQS emulator, each test on a queue of its own so that it sees every message the Api published.
/// </summary>
[Collection(InfrastructureCollection.Name)]
public sealed class IdempotencyKeyTests(InfrastructureFixture infra)
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private static string Customer() => "idem-" + Guid.NewGuid().ToString("N")[..12];

    private static string Body(string customer, string product, int quantity) =>
        $$"""{"customer_id":"{{customer}}","items":[{"product_id":"{{product}}","quantity":{{quantity}}}]}""";

    private static async Task<HttpResponseMessage> PostAsync(HttpClient client, string json, string? key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/orders") { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        if (key is not null)
        {
            request.Headers.Add("Idempotency-Key", key);
        }
        return await client.SendAsync(request, Cancel);
    }

    private static async Task<JsonElement> JsonOf(HttpResponseMessage response) => await response.Content.ReadFromJsonAsync<JsonElement>(Cancel);

    private static async Task<string> AcceptedOrderId(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (await JsonOf(response)).GetProperty("order_id").GetString()!;
    }

    private async Task ExecuteAsync(string sql, object parameters)
    {
        await using var connection = new MySqlConnection(infra.Database.ConnectionString);
        await connection.ExecuteAsync(sql, parameters);
    }

    [Fact]
    public async Task The_same_key_with_the_same_order_even_reformatted_names_the_same_order_and_makes_one_order()
    {
        var (orderCreated, _) = await infra.CreateQueuePairAsync("idem-same");
        var (orderProcessed, _) = await infra.CreateQueuePairAsync("idem-same-out");
        await using var api = new ServiceFactory<OrderQueries>(infra.ServiceSettings(orderCreated));
        using var client = api.CreateClient();
        var customer = Customer();
        var product = await infra.Database.AddProductAsync(10);
        var key = Guid.NewGuid().ToString();

        using var first = await PostAsync(client, Body(customer, product, 2), key);
        using var reformatted = await PostAsync(client,
            $$"""

              { "items" : [ { "quantity" : 2.0, "product_id" : "{{product}}" } ],
                "customer_id" : "{{customer}}" }
            """, key);
        var firstId = await AcceptedOrderId(first);
        var secondId = await AcceptedOrderId(reformatted);

        Assert.Equal(firstId, secondId);
        Assert.Equal($"/api/orders/{firstId}", reformatted.Headers.Location?.OriginalString);
        // Both requests published (the repeat rescues a first publish that failed), both for the one order.
        var published = await infra.SqsClient.DrainOrderCreatedAsync(orderCreated);
        Assert.Equal([firstId, firstId], published.Select(p => p.OrderId));

        // The Processor turns them into one order.
        foreach (var message in published)
        {
            await infra.SqsClient.SendMessageAsync(orderCreated, JsonSerializer.Serialize(message, EventJsonContext.Default.OrderCreated), Cancel);
        }
        await using var processor = new ServiceFactory<OrderCreatedHandler>(
            infra.ServiceSettings(orderCreated).With(("Queues:OrderProcessed", orderProcessed)));
        _ = processor.Server;
        await Eventually.AssertAsync(
            async () => await infra.Database.StatusAsync(firstId) is "PROCESSED",
            TimeSpan.FromSeconds(30), "the order to be processed");
        await Eventually.AssertAsync(
            async () => (await infra.SqsClient.GetQueueAttributesAsync(orderCreated, ["All"], Cancel))
                is { ApproximateNumberOfMessages: 0, ApproximateNumberOfMessagesNotVisible: 0 },
            TimeSpan.FromSeconds(30), "both messages to be consumed");
        Assert.Equal([(firstId, "PROCESSED")], await infra.Database.OrdersOfCustomerAsync(customer));
        Assert.Equal(8, await infra.Database.StockAsync(product));
    }

    [Fact]
    public async Task The_same_key_with_another_order_is_422_naming_the_first_order_and_publishes_nothing()
    {
        var (orderCreated, _) = await infra.CreateQueuePairAsync("idem-other");
        await using var api = new ServiceFactory<OrderQueries>(infra.ServiceSettings(orderCreated));
        using var client = api.CreateClient();
        var customer = Customer();
        var key = Guid.NewGuid().ToString();

        var firstId = await AcceptedOrderId(await PostAsync(client, Body(customer, "SKU-1001", 2), key));
        using var other = await PostAsync(client, Body(customer, "SKU-1001", 3), key);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, other.StatusCode);
        Assert.Equal("application/problem+json", other.Content.Headers.ContentType?.MediaType);
        var problem = await JsonOf(other);
        Assert.Equal(OrderProblems.IdempotencyKeyReusedType, problem.GetProperty("type").GetString());
        Assert.Equal(firstId, problem.GetProperty("order_id").GetString());
        Assert.Contains(firstId, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal($"/api/orders/{firstId}", other.Headers.Location?.OriginalString);
        var published = await infra.SqsClient.DrainOrderCreatedAsync(orderCreated);
        var only = Assert.Single(published);
        Assert.Equal(firstId, only.OrderId);
        Assert.Equal(2, Assert.Single(only.Items).Quantity);
    }

    [Fact]
    public async Task The_same_key_from_another_customer_is_another_order()
    {
        var (orderCreated, _) = await infra.CreateQueuePairAsync("idem-cust");
        await using var api = new ServiceFactory<OrderQueries>(infra.ServiceSettings(orderCreated));
        using var client = api.CreateClient();
        var key = Guid.NewGuid().ToString();

        var one = await AcceptedOrderId(await PostAsync(client, Body(Customer(), "SKU-1001", 1), key));
        var two = await AcceptedOrderId(await PostAsync(client, Body(Customer(), "SKU-1001", 1), key));

        Assert.NotEqual(one, two);
    }

    [Fact]
    public async Task Concurrent_first_uses_of_one_key_name_one_order()
    {
        var (orderCreated, _) = await infra.CreateQueuePairAsync("idem-race");
        await using var api = new ServiceFactory<OrderQueries>(infra.ServiceSettings(orderCreated));
        using var client = api.CreateClient();
        var customer = Customer();
        var key = Guid.NewGuid().ToString();

        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => PostAsync(client, Body(customer, "SKU-1001", 1), key)));
        var ids = new List<string>();
        foreach (var response in responses)
        {
            using (response)
            {
                ids.Add(await AcceptedOrderId(response));
            }
        }

        Assert.Single(ids.Distinct(StringComparer.Ordinal));
        Assert.Equal(1, await infra.Database.CountAsync(
            "SELECT COUNT(*) FROM idempotency_keys WHERE customer_id = @customer", new { customer }));
    }

    [Fact]
    public async Task An_expired_key_starts_a_new_order()
    {
        var (orderCreated, _) = await infra.CreateQueuePairAsync("idem-expired");
        await using var api = new ServiceFactory<OrderQueries>(infra.ServiceSettings(orderCreated));
        using var client = api.CreateClient();
        var customer = Customer();
        var key = Guid.NewGuid().ToString();
        var firstId = await AcceptedOrderId(await PostAsync(client, Body(customer, "SKU-1001", 2), key));

        // The key was first used longer ago than the retention period (24 h by default).
        await ExecuteAsync("UPDATE idempotency_keys SET created_at = created_at - INTERVAL 25 HOUR WHERE customer_id = @customer", new { customer });
        // Another body too: an expired key is free for any order.
        var secondId = await AcceptedOrderId(await PostAsync(client, Body(customer, "SKU-1001", 5), key));
        var thirdId = await AcceptedOrderId(await PostAsync(client, Body(customer, "SKU-1001", 5), key));

        Assert.NotEqual(firstId, secondId);
        Assert.Equal(secondId, thirdId);
        Assert.Equal([firstId, secondId, secondId], (await infra.SqsClient.DrainOrderCreatedAsync(orderCreated)).Select(p => p.OrderId));
    }

    [Fact]
    public async Task A_keyed_order_not_recorded_yet_answers_404_not_recorded_yet_with_retry_after()
    {
        // Nobody consumes this queue: the order is accepted and never recorded.
        var (orderCreated, _) = await infra.CreateQueuePairAsync("idem-get");
        await using var api = new ServiceFactory<OrderQueries>(infra.ServiceSettings(orderCreated));
        using var client = api.CreateClient();
        var orderId = await AcceptedOrderId(await PostAsync(client, Body(Customer(), "SKU-1001", 1), Guid.NewGuid().ToString()));

        using var response = await client.GetAsync($"/api/orders/{orderId}", Cancel);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.NotNull(response.Headers.RetryAfter);
        var problem = await JsonOf(response);
        Assert.Equal("Order not recorded yet", problem.GetProperty("title").GetString());
        Assert.Equal(OrderProblems.NotRecordedYetType, problem.GetProperty("type").GetString());
    }

    [Fact]
    public async Task An_id_issued_long_ago_for_a_remembered_key_is_not_recorded_yet_and_for_an_expired_key_not_found()
    {
        await using var api = new ServiceFactory<OrderQueries>(infra.ServiceSettings());
        using var client = api.CreateClient();
        // Issued two hours ago (beyond the 15 minutes in which any fresh id counts as "on its way"), key still remembered;
        // and one issued 25 hours ago, its key expired.
        var remembered = Guid.CreateVersion7(DateTimeOffset.UtcNow.AddHours(-2)).ToString();
        var expired = Guid.CreateVersion7(DateTimeOffset.UtcNow.AddHours(-25)).ToString();
        foreach (var (orderId, hoursAgo) in new[] { (remembered, 2), (expired, 25) })
        {
            await ExecuteAsync(
                """
                INSERT INTO idempotency_keys (customer_id, idempotency_key, request_fingerprint, order_id, created_at)
                VALUES (@customer, @key, @fingerprint, @orderId, UTC_TIMESTAMP(6) - INTERVAL @hoursAgo HOUR)
                """,
                new { customer = Customer(), key = Guid.NewGuid().ToString(), fingerprint = new byte[32], orderId, hoursAgo });
        }

        using var notYet = await client.GetAsync($"/api/orders/{remembered}", Cancel);
        using var notFound = await client.GetAsync($"/api/orders/{expired}", Cancel);

        Assert.Equal(HttpStatusCode.NotFound, notYet.StatusCode);
        Assert.Equal("Order not recorded yet", (await JsonOf(notYet)).GetProperty("title").GetString());
        Assert.NotNull(notYet.Headers.RetryAfter);
        Assert.Equal(HttpStatusCode.NotFound, notFound.StatusCode);
        Assert.Equal("Order not found", (await JsonOf(notFound)).GetProperty("title").GetString());
        Assert.Null(notFound.Headers.RetryAfter);
    }

    [Fact]
    public async Task With_the_database_down_a_keyed_order_is_503_with_retry_after_and_nothing_is_published()
    {
        var (orderCreated, _) = await infra.CreateQueuePairAsync("idem-nodb");
        await using var api = new ServiceFactory<OrderQueries>(infra.ServiceSettings(orderCreated)
            .With(("ConnectionStrings:orders", "Server=127.0.0.1;Port=1;User ID=x;Password=y;Database=orders;Connection Timeout=2")));
        using var client = api.CreateClient();

        using var keyed = await PostAsync(client, Body(Customer(), "SKU-1001", 1), Guid.NewGuid().ToString());

        Assert.Equal(HttpStatusCode.ServiceUnavailable, keyed.StatusCode);
        Assert.NotNull(keyed.Headers.RetryAfter);
        var problem = await JsonOf(keyed);
        Assert.Equal(OrderProblems.IdempotencyUnavailableType, problem.GetProperty("type").GetString());
        Assert.False(problem.TryGetProperty("order_id", out _));
        Assert.Empty(await infra.SqsClient.DrainOrderCreatedAsync(orderCreated));
    }

    [Fact]
    public async Task The_cleanup_deletes_expired_keys_and_keeps_the_others()
    {
        var customer = Customer();
        foreach (var (key, hoursAgo) in new[] { ("old", 25), ("fresh", 1) })
        {
            await ExecuteAsync(
                """
                INSERT INTO idempotency_keys (customer_id, idempotency_key, request_fingerprint, order_id, created_at)
                VALUES (@customer, @key, @fingerprint, @orderId, UTC_TIMESTAMP(6) - INTERVAL @hoursAgo HOUR)
                """,
                new { customer, key, fingerprint = new byte[32], orderId = Guid.CreateVersion7().ToString(), hoursAgo });
        }

        await using var api = new ServiceFactory<OrderQueries>(infra.ServiceSettings().With(("Idempotency:CleanupBatchSize", "2")));
        _ = api.Server; // starts the host and its cleanup, which runs at start

        await Eventually.AssertAsync(
            async () => await infra.Database.CountAsync(
                "SELECT COUNT(*) FROM idempotency_keys WHERE customer_id = @customer AND idempotency_key = 'old'",
                new { customer }) == 0,
            TimeSpan.FromSeconds(30), "the expired key to be deleted");
        Assert.Equal(1, await infra.Database.CountAsync(
            "SELECT COUNT(*) FROM idempotency_keys WHERE customer_id = @customer AND idempotency_key = 'fresh'",
            new { customer }));
    }
}
