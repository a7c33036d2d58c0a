using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Amazon.SQS.Model;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OrderPipeline.Messaging;
using OrderPipeline.Messaging.Consuming;
using OrderPipeline.Tests.Shared;
using OrderPipeline.FunctionalTests.Support;
using OrderPipeline.Data;

namespace OrderPipeline.FunctionalTests.Integration;

/// <summary>
/// One process consuming two queues with one outage breaker between them, against the real emulator and MariaDB: a
/// message that fails for its own reason must never pause anything, on its queue or the other.
/// </summary>
[Collection(InfrastructureCollection.Name)]
public sealed class ConsumerIsolationTests(InfrastructureFixture infra)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    public sealed class Handled
    {
        public ConcurrentDictionary<string, bool> Ids { get; } = new();
    }

    /// <summary>Fails every message for a reason of its own (not an outage): it ends in its DLQ.</summary>
    public sealed class PoisonedHandler : IMessageHandler
    {
        public Task HandleAsync(InboundMessage message, CancellationToken cancellationToken) =>
            Task.FromException(new InvalidOperationException("this message cannot be handled"));
    }

    public sealed class RecordingHandler(Handled handled) : IMessageHandler
    {
        public Task HandleAsync(InboundMessage message, CancellationToken cancellationToken)
        {
            handled.Ids[message.Body] = true;
            return Task.CompletedTask;
        }
    }

    [Fact]
    public async Task A_poison_message_on_one_queue_does_not_pause_the_consumer_of_another()
    {
        var (poisoned, poisonedDlq) = await infra.CreateQueuePairAsync("iso-poison");
        var (healthy, healthyDlq) = await infra.CreateQueuePairAsync("iso-healthy");
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(infra.ServiceSettings(poisoned).With(("Queues:OrderProcessed", healthy))
            .Select(s => new KeyValuePair<string, string?>(s.Key, s.Value)));
        builder.Services.AddMetrics();
        builder.Services.AddSingleton<Handled>();
        builder.AddMySqlDataSource("orders");
        builder.AddMySqlOutageDetection("UPDATE inventory SET quantity_available = quantity_available WHERE FALSE");
        builder.AddSqsMessaging(queues => queues.OrderCreated, queues => queues.OrderProcessed);
        builder.AddSqsConsumer<PoisonedHandler>(queues => queues.OrderCreated);
        builder.AddSqsConsumer<RecordingHandler>(queues => queues.OrderProcessed);

        long outages = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Name == "orderpipeline.consumer.outages")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref outages, value));
        listener.Start();

        using var host = builder.Build();
        await host.StartAsync(Cancellation);
        try
        {
            await infra.SqsClient.SendMessageAsync(poisoned, "poison", Cancellation);
            var sent = new List<string>();
            // Messages keep arriving on the other queue for as long as the poison cycles through its three receives.
            for (var i = 0; i < 200; i++)
            {
                var body = $"message-{i}";
                await infra.SqsClient.SendMessageAsync(healthy, body, Cancellation);
                sent.Add(body);
                if ((await infra.SqsClient.GetQueueAttributesAsync(poisonedDlq, ["ApproximateNumberOfMessages"], Cancellation)).ApproximateNumberOfMessages > 0)
                {
                    break;
                }
                await Task.Delay(50, Cancellation);
            }

            var dead = await Eventually.GetAsync(
                () => infra.SqsClient.ReceiveMessageAsync(new ReceiveMessageRequest { QueueUrl = poisonedDlq, WaitTimeSeconds = 1 }, Cancellation),
                r => r.Messages is { Count: > 0 }, TimeSpan.FromSeconds(60), "the poison message in its DLQ");
            Assert.Equal("poison", Assert.Single(dead.Messages).Body);
            var handled = host.Services.GetRequiredService<Handled>();
            await Eventually.AssertAsync(
                () => Task.FromResult(sent.All(handled.Ids.ContainsKey)),
                TimeSpan.FromSeconds(30), $"all {sent.Count} messages of the other queue handled");
            Assert.Equal(0, Interlocked.Read(ref outages));
            Assert.Equal(
                0,
                (await infra.SqsClient.GetQueueAttributesAsync(healthyDlq, ["ApproximateNumberOfMessages"], Cancellation))
                    .ApproximateNumberOfMessages);
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
        }
    }
}
