using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text.Json;
using Amazon.SQS.Model;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using OrderPipeline.Messaging.Consuming;
using OrderPipeline.Messaging.Events;
using OrderPipeline.Messaging.Publishing;
using OrderPipeline.Messaging.Sqs;
using OrderPipeline.Messaging.Telemetry;
using OrderPipeline.Processor.Orders;
using OrderPipeline.Processor.Outbox;
using OrderPipeline.Testing;
using OrderPipeline.Tests.Shared;
using OrderPipeline.FunctionalTests.Support;

namespace OrderPipeline.FunctionalTests.Integration;

/// <summary>Events committed to the outbox reach their queue even when publishing right after commit fails.</summary>
[Collection(InfrastructureCollection.Name)]
public sealed class OutboxRelayTests(InfrastructureFixture infra)
{
    [Fact]
    public async Task An_event_whose_publish_failed_is_acknowledged_then_published_by_the_relay_with_its_trace()
    {
        var (queueUrl, _) = await infra.CreateQueuePairAsync("relay");
        await using var parts = new ProcessorParts(infra.Database.ConnectionString, queueUrl);
        var meters = parts.Metrics.GetRequiredService<IMeterFactory>();
        var product = await infra.Database.AddProductAsync(5);
        var order = new OrderCreated(Guid.CreateVersion7().ToString(), "relay-customer", [new OrderLine(product, 2)], DateTime.UtcNow);
        var traceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

        // The queue is unreachable when the handler publishes: the message must still be acknowledged (no throw),
        // because the event is already safe in the outbox.
        using var deadSqs = EmulatorSqs.CreateClient(new Uri("http://127.0.0.1:1"), maxErrorRetry: 0);
        using var deadTelemetry = new MessagingTelemetry(meters);
        // No backoff, so the relay below may take the row at once.
        var deadPublisher = new OutboxPublisher(new SqsEventPublisher(deadSqs, new QueueUrlResolver(deadSqs), deadTelemetry),
            parts.DataSource, Options.Create(new OutboxOptions { InitialBackoffSeconds = 0 }), TimeProvider.System, NullLogger<OutboxPublisher>.Instance);
        var handler = new OrderCreatedHandler(parts.Transaction, deadPublisher, parts.Telemetry, NullLogger<OrderCreatedHandler>.Instance);
        // Listen as the OpenTelemetry SDK does in the services, so spans (and the trace context) exist.
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name.StartsWith("OrderPipeline", StringComparison.Ordinal),
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listener);
        var batch = new MessageBatchProcessor(handler, deadTelemetry, Options.Create(new SqsConsumerOptions()), NullLogger<MessageBatchProcessor>.Instance);
        var failed = await batch.ProcessAsync("order-created", [new InboundMessage("m-1",
            JsonSerializer.Serialize(order, EventJsonContext.Default.OrderCreated),
            new Dictionary<string, string> { ["traceparent"] = traceParent }, 1)], TestContext.Current.CancellationToken);
        Assert.Empty(failed);

        Assert.Equal(3, await infra.Database.StockAsync(product));
        Assert.Equal(1, await infra.Database.CountAsync(
            "SELECT COUNT(*) FROM outbox WHERE message_id = @OrderId AND published_at IS NULL AND attempts = 1"
                + " AND last_error IS NOT NULL",
            new { order.OrderId }));

        using var telemetry = new MessagingTelemetry(meters);
        using var outboxTelemetry = new OutboxTelemetry(meters);
        var relay = new OutboxRelay(new OutboxClaims(parts.DataSource),
            new SqsEventPublisher(infra.SqsClient, new QueueUrlResolver(infra.SqsClient), telemetry),
            outboxTelemetry, Options.Create(new OutboxOptions { GraceSeconds = 0 }), TimeProvider.System, NullLogger<OutboxRelay>.Instance);
        // Other tests of this collection leave unpublished rows too, older than ours: drain the whole backlog,
        // a batch per pass, as the relay's timer would.
        var relayed = 0;
        for (RelayPass pass; (pass = await relay.RelayOnceAsync(TestContext.Current.CancellationToken)).Claimed > 0;)
        {
            relayed += pass.Published;
        }
        Assert.True(relayed >= 1);

        var received = await Eventually.GetAsync(
            () => infra.SqsClient.ReceiveMessageAsync(
                new ReceiveMessageRequest { QueueUrl = queueUrl, WaitTimeSeconds = 1, MessageAttributeNames = ["All"] },
                TestContext.Current.CancellationToken),
            r => r.Messages is { Count: > 0 }, TimeSpan.FromSeconds(20), "the relayed event");
        var message = Assert.Single(received.Messages);
        var settled = JsonSerializer.Deserialize(message.Body, EventJsonContext.Default.OrderProcessed)!;
        Assert.Equal(order.OrderId, settled.OrderId);
        Assert.Equal(OrderStatus.Processed, settled.Status);
        // The trace continues: same trace id as the delivery that settled the order.
        Assert.Contains("0af7651916cd43dd8448eb211c80319c", message.MessageAttributes["traceparent"].StringValue, StringComparison.Ordinal);
        Assert.Equal(0, await infra.Database.CountAsync(
            "SELECT COUNT(*) FROM outbox WHERE message_id = @OrderId AND published_at IS NULL", new { order.OrderId }));
    }
}
