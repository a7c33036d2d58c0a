using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Amazon.SQS.Model;
using OrderPipeline.Api.Orders;
using OrderPipeline.Messaging.Events;
using OrderPipeline.Tests.Shared;
using OrderPipeline.FunctionalTests.Support;

namespace OrderPipeline.FunctionalTests.Integration;

/// <summary>
/// The real Api app, hosted in-process against the real SQS emulator and MariaDB. Requests look as the
/// Lambda Web Adapter forwards an API Gateway HTTP API (payload 2.0) request: a plain HTTP request with
/// API Gateway's forwarding headers.
/// </summary>
[Collection(InfrastructureCollection.Name)]
public sealed class ApiServiceTests(InfrastructureFixture infra)
{
    private static HttpRequestMessage FromApiGateway(HttpMethod method, string path, string? json = null)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Add("X-Forwarded-For", "203.0.113.7");
        request.Headers.Add("X-Forwarded-Proto", "https");
        request.Headers.Add("X-Amzn-Trace-Id", "Root=1-5f84c7a9-0e5e9c0c3e3f1a8b7c6d5e4f");
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }
        return request;
    }

    [Fact]
    public async Task An_accepted_order_is_on_the_queue_with_its_trace_context_before_the_202()
    {
        var (queue, _) = await infra.CreateQueuePairAsync("api");
        await using var api = new ServiceFactory<OrderQueries>(infra.ServiceSettings(queue));
        using var client = api.CreateClient();

        using var response = await client.SendAsync(FromApiGateway(HttpMethod.Post, "/api/orders",
            """{"customer_id":"gw-customer","items":[{"product_id":"SKU-1001","quantity":3}]}"""), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var orderId = (await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("order_id").GetString();
        var received = await infra.SqsClient.ReceiveMessageAsync(
            new ReceiveMessageRequest { QueueUrl = queue, MessageAttributeNames = ["All"], WaitTimeSeconds = 1 },
            TestContext.Current.CancellationToken);
        var message = Assert.Single(received.Messages);
        var created = JsonSerializer.Deserialize(message.Body, EventJsonContext.Default.OrderCreated)!;
        Assert.Equal(orderId, created.OrderId);
        Assert.Equal("gw-customer", created.CustomerId);
        Assert.Equal(new OrderLine("SKU-1001", 3), Assert.Single(created.Items));
        Assert.Equal("OrderCreated", message.MessageAttributes["event_type"].StringValue);
    }

    [Fact]
    public async Task With_the_queue_unreachable_the_api_answers_503_with_retry_after_and_accepts_nothing()
    {
        await using var api = new ServiceFactory<OrderQueries>(infra.ServiceSettings()
            .With(("AWS:ServiceURL", "http://127.0.0.1:1"), ("Queues:OrderCreated", "http://127.0.0.1:1/000000000000/order-created")));
        using var client = api.CreateClient();

        using var response = await client.SendAsync(FromApiGateway(HttpMethod.Post, "/api/orders",
            """{"customer_id":"c","items":[{"product_id":"SKU-1001","quantity":1}]}"""), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.NotNull(response.Headers.RetryAfter);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task With_the_database_unreachable_reads_answer_503_and_orders_are_still_accepted()
    {
        var (queue, _) = await infra.CreateQueuePairAsync("api-nodb");
        await using var api = new ServiceFactory<OrderQueries>(infra.ServiceSettings(queue)
            .With(("ConnectionStrings:orders", "Server=127.0.0.1;Port=1;User ID=x;Password=y;Database=orders;Connection Timeout=2")));
        using var client = api.CreateClient();

        using var read = await client.SendAsync(FromApiGateway(HttpMethod.Get, $"/api/orders/{Guid.CreateVersion7()}"), TestContext.Current.CancellationToken);
        using var write = await client.SendAsync(FromApiGateway(HttpMethod.Post, "/api/orders",
            """{"customer_id":"c","items":[{"product_id":"SKU-1001","quantity":1}]}"""), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, read.StatusCode);
        Assert.NotNull(read.Headers.RetryAfter);
        Assert.Equal(HttpStatusCode.Accepted, write.StatusCode);
    }
}
