using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Amazon.SQS.Model;
using OrderPipeline.Messaging.Events;
using OrderPipeline.Processor.Orders;
using OrderPipeline.Tests.Shared;
using OrderPipeline.FunctionalTests.Support;

namespace OrderPipeline.FunctionalTests.Integration;

/// <summary>
/// The real Processor app, hosted in-process against the real MariaDB and SQS emulator,
/// reached both ways: the long-polling consumer and POST /events (the AWS Lambda contract).
/// </summary>
[Collection(InfrastructureCollection.Name)]
public sealed class ProcessorServiceTests(InfrastructureFixture infra)
{
    private static string Body(string orderId, string customer, string product, int quantity) =>
        JsonSerializer.Serialize(
            new OrderCreated(orderId, customer, [new OrderLine(product, quantity)], DateTime.UtcNow),
            EventJsonContext.Default.OrderCreated);

    [Fact]
    public async Task A_poison_message_reaches_the_dlq_after_three_receives_while_good_messages_keep_flowing()
    {
        var (orderCreated, orderCreatedDlq) = await infra.CreateQueuePairAsync("poison");
        var (orderProcessed, _) = await infra.CreateQueuePairAsync("poison-out");
        await using var processor = new ServiceFactory<OrderCreatedHandler>(infra.ServiceSettings(orderCreated)
            .With(("Queues:OrderProcessed", orderProcessed)));
        _ = processor.Server; // starts the host and its consumer

        var product = await infra.Database.AddProductAsync(10);
        await infra.SqsClient.SendMessageAsync(orderCreated, "this is not json", TestContext.Current.CancellationToken);
        var good = Enumerable.Range(0, 5).Select(_ => Guid.CreateVersion7().ToString()).ToList();
        foreach (var id in good)
        {
            await infra.SqsClient.SendMessageAsync(orderCreated, Body(id, "poison-neighbour", product, 1), TestContext.Current.CancellationToken);
        }

        var dead = await Eventually.GetAsync(
            () => infra.SqsClient.ReceiveMessageAsync(new ReceiveMessageRequest
            {
                QueueUrl = orderCreatedDlq,
                WaitTimeSeconds = 1,
                MessageSystemAttributeNames = ["ApproximateReceiveCount"],
            }, TestContext.Current.CancellationToken),
            r => r.Messages is { Count: > 0 }, TimeSpan.FromSeconds(60), "the poison message in the DLQ");
        Assert.Equal("this is not json", Assert.Single(dead.Messages).Body);
        foreach (var id in good)
        {
            Assert.Equal("PROCESSED", await infra.Database.StatusAsync(id));
        }
        Assert.Equal(5, await infra.Database.StockAsync(product));
    }

    [Fact]
    public async Task Given_an_order_processed_queue_url_over_100_characters_as_aws_gives_it_the_processor_settles_and_publishes()
    {
        // In AWS the template gives the queue's URL, 101 characters for a 31-character environment in ap-southeast-2:
        // the outbox's destination column held 100 and the Processor refused to start. Here a longer name makes a longer URL.
        var (orderCreated, _) = await infra.CreateQueuePairAsync("long-in");
        var orderProcessed = (await infra.SqsClient.CreateQueueAsync(
            $"long-out-{new string('x', 60)}-{Guid.NewGuid():N}"[..80], TestContext.Current.CancellationToken)).QueueUrl;
        Assert.True(orderProcessed.Length > 100, orderProcessed);
        await using var processor = new ServiceFactory<OrderCreatedHandler>(infra.ServiceSettings(orderCreated)
            .With(("Queues:OrderProcessed", orderProcessed)));
        _ = processor.Server; // starts the host and its consumer: it refused to, before

        var product = await infra.Database.AddProductAsync(10);
        var id = Guid.CreateVersion7().ToString();
        await infra.SqsClient.SendMessageAsync(orderCreated, Body(id, "long-url", product, 3), TestContext.Current.CancellationToken);

        var published = await Eventually.GetAsync(
            () => infra.SqsClient.ReceiveMessageAsync(new ReceiveMessageRequest { QueueUrl = orderProcessed, WaitTimeSeconds = 1 },
                TestContext.Current.CancellationToken),
            r => r.Messages is { Count: > 0 }, TimeSpan.FromSeconds(30), "the OrderProcessed event on the long-named queue");
        Assert.Contains(id, Assert.Single(published.Messages).Body, StringComparison.Ordinal);
        Assert.Equal("PROCESSED", await infra.Database.StatusAsync(id));
        Assert.Equal(7, await infra.Database.StockAsync(product));
    }

    [Fact]
    public async Task Post_events_reports_exactly_the_failed_messages_as_lambda_expects()
    {
        var (orderProcessed, _) = await infra.CreateQueuePairAsync("lambda-out");
        await using var processor = new ServiceFactory<OrderCreatedHandler>(infra.ServiceSettings()
            .With(("Queues:OrderProcessed", orderProcessed), ("Messaging:Consumer:Enabled", "false")));
        using var client = processor.CreateClient();
        var product = await infra.Database.AddProductAsync(10);
        var goodId = Guid.CreateVersion7().ToString();

        var sqsEvent = LambdaEvents.Sqs("order-created",
            ("msg-good", Body(goodId, "lambda", product, 2)),
            ("msg-poison", "{\"order_id\": 42}"),
            ("msg-good-again", Body(goodId, "lambda", product, 2)));
        using var response = await client.PostAsync(
            "/events",
            new StringContent(sqsEvent, Encoding.UTF8, "application/json"),
            TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
        var failures = body.GetProperty("batchItemFailures").EnumerateArray().Select(f => f.GetProperty("itemIdentifier").GetString()).ToList();
        Assert.Equal(["msg-poison"], failures);
        Assert.Equal("PROCESSED", await infra.Database.StatusAsync(goodId));
        Assert.Equal(8, await infra.Database.StockAsync(product));
    }

    [Fact]
    public async Task Post_events_with_no_records_answers_an_empty_failure_list()
    {
        await using var processor = new ServiceFactory<OrderCreatedHandler>(infra.ServiceSettings().With(("Messaging:Consumer:Enabled", "false")));
        using var client = processor.CreateClient();

        using var response = await client.PostAsync(
            "/events",
            new StringContent("""{"Records":[]}""", Encoding.UTF8, "application/json"),
            TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("""{"batchItemFailures":[]}""", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Health_reports_the_database_and_queues_and_alive_only_the_process()
    {
        await using var processor = new ServiceFactory<OrderCreatedHandler>(infra.ServiceSettings().With(("Messaging:Consumer:Enabled", "false")));
        using var client = processor.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health", TestContext.Current.CancellationToken)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/alive", TestContext.Current.CancellationToken)).StatusCode);

        await using var broken = new ServiceFactory<OrderCreatedHandler>(infra.ServiceSettings()
            .With(("Messaging:Consumer:Enabled", "false"),
                ("ConnectionStrings:orders",
                    "Server=127.0.0.1;Port=1;User ID=x;Password=y;Database=orders;Connection Timeout=2")));
        using var brokenClient = broken.CreateClient();
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await brokenClient.GetAsync("/health", TestContext.Current.CancellationToken)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await brokenClient.GetAsync("/alive", TestContext.Current.CancellationToken)).StatusCode);
    }
}
