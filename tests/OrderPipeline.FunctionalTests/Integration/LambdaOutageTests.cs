using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Amazon.SQS.Model;
using OrderPipeline.Messaging.Consuming;
using OrderPipeline.Messaging.Events;
using OrderPipeline.Processor.Orders;
using OrderPipeline.Tests.Shared;
using OrderPipeline.FunctionalTests.Support;

namespace OrderPipeline.FunctionalTests.Integration;

/// <summary>
/// The Processor as AWS Lambda runs it (batches on POST /events) while its database is unreachable: a valid order must
/// not spend its receives (three, then the DLQ) on an outage. Real Processor, real emulator; the database is a port
/// where nothing listens.
/// </summary>
[Collection(InfrastructureCollection.Name)]
public sealed class LambdaOutageTests(InfrastructureFixture infra)
{
    private const string Unreachable = "Server=127.0.0.1;Port=1;User ID=x;Password=y;Database=orders;Connection Timeout=2";

    private static string Order(string orderId) =>
        JsonSerializer.Serialize(
            new OrderCreated(orderId, "lambda-outage", [new OrderLine("SKU-1001", 1)], DateTime.UtcNow),
            EventJsonContext.Default.OrderCreated);

    private ServiceFactory<OrderCreatedHandler> ProcessorFunction(string orderCreated, int maxRequeues = 240) => new(infra.ServiceSettings(orderCreated).With(
        ("ConnectionStrings:orders", Unreachable),
        ("Messaging:Consumer:Enabled", "false"),
        ("Messaging:OutageRequeue:DelaySeconds", "1"),
        ("Messaging:OutageRequeue:MaxRequeues", maxRequeues.ToString(System.Globalization.CultureInfo.InvariantCulture))));

    private static async Task<IReadOnlyList<string?>> FailuresOfAsync(HttpClient client, string sqsEvent)
    {
        using var response = await client.PostAsync(
            "/events",
            new StringContent(sqsEvent, Encoding.UTF8, "application/json"),
            TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
        return [.. body.GetProperty("batchItemFailures").EnumerateArray().Select(f => f.GetProperty("itemIdentifier").GetString())];
    }

    [Fact]
    public async Task An_outage_sends_valid_orders_back_as_delayed_copies_that_start_with_no_receives_and_fails_only_the_poison()
    {
        var (orderCreated, _) = await infra.CreateQueuePairAsync("lambda-outage");
        await using var function = ProcessorFunction(orderCreated);
        using var client = function.CreateClient();
        var first = Guid.CreateVersion7().ToString();
        var second = Guid.CreateVersion7().ToString();

        var failures = await FailuresOfAsync(client, LambdaEvents.Sqs("lambda-outage",
            ("m-1", Order(first)), ("m-poison", "not an order"), ("m-2", Order(second))));

        Assert.Equal(["m-poison"], failures);
        var copies = new List<Message>();
        await Eventually.GetAsync(
            async () =>
            {
                var received = await infra.SqsClient.ReceiveMessageAsync(new ReceiveMessageRequest
                {
                    QueueUrl = orderCreated,
                    MaxNumberOfMessages = 10,
                    WaitTimeSeconds = 2,
                    MessageAttributeNames = ["All"],
                    MessageSystemAttributeNames = ["ApproximateReceiveCount"],
                }, TestContext.Current.CancellationToken);
                copies.AddRange(received.Messages ?? []);
                return copies.Count;
            },
            count => count >= 2, TimeSpan.FromSeconds(30), "two delayed copies on the queue");
        Assert.Equal(
            new[] { first, second }.Order(StringComparer.Ordinal),
            copies.Select(m => JsonSerializer.Deserialize(m.Body, EventJsonContext.Default.OrderCreated)!.OrderId)
                .Order(StringComparer.Ordinal));
        Assert.All(copies, m =>
        {
            Assert.Equal("1", m.MessageAttributes[OutageRequeue.RequeuesAttribute].StringValue);
            Assert.Equal("1", m.Attributes["ApproximateReceiveCount"]);
            // The trace context travels with the copy.
            Assert.True(m.MessageAttributes.ContainsKey("traceparent"));
        });
    }

    [Fact]
    public async Task A_message_requeued_as_often_as_allowed_is_failed_normally_so_nothing_circulates_forever()
    {
        var (orderCreated, _) = await infra.CreateQueuePairAsync("lambda-outage-limit");
        await using var function = ProcessorFunction(orderCreated, maxRequeues: 0);
        using var client = function.CreateClient();

        var failures = await FailuresOfAsync(client, LambdaEvents.Sqs("lambda-outage-limit", ("m-1", Order(Guid.CreateVersion7().ToString()))));

        Assert.Equal(["m-1"], failures);
        var left = await infra.SqsClient.ReceiveMessageAsync(
            new ReceiveMessageRequest { QueueUrl = orderCreated, WaitTimeSeconds = 2 },
            TestContext.Current.CancellationToken);
        Assert.Empty(left.Messages ?? []);
    }
}
