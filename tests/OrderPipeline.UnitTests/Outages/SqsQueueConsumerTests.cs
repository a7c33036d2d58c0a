using System.Collections.Concurrent;
using Amazon.SQS;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using OrderPipeline.Messaging.Consuming;
using OrderPipeline.Messaging.Outages;
using OrderPipeline.Messaging.Sqs;
using OrderPipeline.Messaging.Telemetry;
using OrderPipeline.Tests.Shared;
using OrderPipeline.UnitTests.Support;

namespace OrderPipeline.UnitTests.Outages;

/// <summary>The consumer against an in-memory SQS: when each message is acknowledged, held, extended or given back.</summary>
[Trait("Category", "Unit")]
public sealed class SqsQueueConsumerTests : IAsyncDisposable
{
    private const string QueueA = "http://sqs.test/000000000000/queue-a";
    private const string QueueB = "http://sqs.test/000000000000/queue-b";

    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly MessagingTelemetry _telemetry;
    private readonly OutageBreakerTests.ScriptedDetector _database = new() { Up = true };
    private readonly OutageBreaker _breaker;
    private readonly List<SqsQueueConsumer> _consumers = [];

    public SqsQueueConsumerTests()
    {
        _telemetry = new MessagingTelemetry(_services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>());
        _breaker = new OutageBreaker(_database, Options.Create(OutageBreakerTests.QuickProbes), _telemetry, TimeProvider.System,
            NullLogger<OutageBreaker>.Instance);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var consumer in _consumers)
        {
            await consumer.StopAsync(CancellationToken.None);
            consumer.Dispose();
        }
        _breaker.Dispose();
        _telemetry.Dispose();
        await _services.DisposeAsync();
    }

    /// <summary>Runs each message by its id: blocks while a gate is closed, fails as told, records what it handled.</summary>
    private sealed class ScriptedHandler : IMessageHandler
    {
        public ConcurrentDictionary<string, TaskCompletionSource> Gates { get; } = new();

        /// <summary>Ids that fail with a timeout (an outage for <see cref="OutageBreakerTests.ScriptedDetector"/>) while this returns true.</summary>
        public Func<string, bool> Outage { get; set; } = _ => false;

        public HashSet<string> Broken { get; } = [];

        public ConcurrentQueue<string> Attempts { get; } = new();

        public ConcurrentQueue<string> Handled { get; } = new();

        public async Task HandleAsync(InboundMessage message, CancellationToken cancellationToken)
        {
            Attempts.Enqueue(message.MessageId);
            if (Gates.TryGetValue(message.MessageId, out var gate))
            {
                await gate.Task.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
            }
            if (Outage(message.MessageId))
            {
                throw new TimeoutException("the database did not answer");
            }
            if (Broken.Contains(message.MessageId))
            {
                throw new InvalidOperationException("this message's own problem");
            }
            Handled.Enqueue(message.MessageId);
        }
    }

    /// <summary>
    /// Settles messages together, as the Processor does; the messages named in <see cref="ScriptedHandler.Broken"/> fail
    /// the batch they are in.
    /// </summary>
    private sealed class ScriptedBatchHandler(ScriptedHandler single) : IMessageBatchHandler
    {
        public ConcurrentQueue<int> BatchSizes { get; } = new();

        public Task HandleAsync(InboundMessage message, CancellationToken cancellationToken) => single.HandleAsync(message, cancellationToken);

        public async Task<IReadOnlyDictionary<string, Exception>> HandleBatchAsync(IReadOnlyList<InboundMessage> messages, CancellationToken cancellationToken)
        {
            BatchSizes.Enqueue(messages.Count);
            if (messages.FirstOrDefault(m => single.Broken.Contains(m.MessageId) || single.Outage(m.MessageId)) is { } culprit)
            {
                await single.HandleAsync(culprit, cancellationToken);
            }
            foreach (var message in messages)
            {
                await single.HandleAsync(message, cancellationToken);
            }
            return new Dictionary<string, Exception>();
        }
    }

    private async Task<SqsQueueConsumer> StartAsync(
        IAmazonSQS sqs, string queue, IMessageHandler handler, SqsConsumerOptions? settings = null, OutageOptions? outage = null)
    {
        var options = Options.Create(settings ?? new SqsConsumerOptions { Pollers = 1, RetryDelaySeconds = 2 });
        var processor = new MessageBatchProcessor(handler, _telemetry, options, NullLogger<MessageBatchProcessor>.Instance, _database);
        var consumer = new SqsQueueConsumer(sqs, new QueueUrlResolver(sqs), processor, new ConsumedQueue(queue), _breaker, options,
            Options.Create(outage ?? new OutageOptions()), NullLogger<SqsQueueConsumer>.Instance);
        _consumers.Add(consumer);
        await consumer.StartAsync(TestContext.Current.CancellationToken);
        return consumer;
    }

    private static Task Until(Func<bool> condition, string what) =>
        Eventually.AssertAsync(() => Task.FromResult(condition()), TimeSpan.FromSeconds(20), what);

    [Fact]
    public async Task A_handled_message_is_deleted_while_the_slowest_of_its_batch_still_runs()
    {
        var sqs = FakeSqs.Create(out var client);
        var handler = new ScriptedHandler();
        var slow = handler.Gates.GetOrAdd("slow", _ => new TaskCompletionSource());
        await StartAsync(client, QueueA, handler);

        sqs.Enqueue(FakeSqs.Message("slow"), FakeSqs.Message("fast"));

        await Until(() => sqs.Deleted.Contains("receipt-fast"), "the fast message deleted");
        Assert.DoesNotContain("receipt-slow", sqs.Deleted);
        slow.SetResult();
        await Until(() => sqs.Deleted.Contains("receipt-slow"), "the slow message deleted once done");
    }

    [Fact]
    public async Task A_batch_handler_gets_the_received_batch_at_once_and_its_handled_messages_are_deleted_in_one_call()
    {
        var sqs = FakeSqs.Create(out var client);
        var single = new ScriptedHandler();
        single.Broken.Add("m-4");
        var handler = new ScriptedBatchHandler(single);
        sqs.Enqueue([.. Enumerable.Range(1, 6).Select(i => FakeSqs.Message($"m-{i}"))]);
        await StartAsync(client, QueueA, handler);

        await Until(() => sqs.Deleted.Count == 5, "the five good messages deleted");
        await Until(() => sqs.VisibilityChanges.Contains(("receipt-m-4", 2)), "the bad message given back after 2 s x 1 receive");
        Assert.Equal(6, handler.BatchSizes.First());
        // Split around the bad message, yet the five handled are acknowledged together, once the batch is settled.
        Assert.True(handler.BatchSizes.Count > 1);
        Assert.Equal(1, sqs.DeleteBatches);
        Assert.DoesNotContain("receipt-m-4", sqs.Deleted);
        Assert.False(_breaker.IsOpen);
    }

    [Fact]
    public async Task An_outage_in_a_batch_holds_all_its_messages_and_handles_them_after()
    {
        var sqs = FakeSqs.Create(out var client);
        var single = new ScriptedHandler();
        var down = true;
        single.Outage = id => id == "m-2" && Volatile.Read(ref down);
        var handler = new ScriptedBatchHandler(single);
        _database.Up = false;
        sqs.Enqueue([.. Enumerable.Range(1, 4).Select(i => FakeSqs.Message($"m-{i}"))]);
        await StartAsync(client, QueueA, handler);

        await Until(() => _breaker.IsOpen, "the breaker open");
        await Until(() => _database.Probes >= 2, "a few failed probes");
        Assert.Empty(sqs.Deleted);
        Assert.Single(handler.BatchSizes);

        Volatile.Write(ref down, false);
        _database.Up = true;
        await Until(() => sqs.Deleted.Count == 4, "every message handled after the outage");
        Assert.DoesNotContain(sqs.VisibilityChanges, c => c.Seconds < 30);
    }

    [Fact]
    public async Task A_message_that_fails_for_its_own_reason_comes_back_after_the_retry_delay_and_pauses_nothing()
    {
        var sqs = FakeSqs.Create(out var client);
        var handler = new ScriptedHandler();
        handler.Broken.Add("bad");
        await StartAsync(client, QueueA, handler);

        sqs.Enqueue(FakeSqs.Message("bad"));
        await Until(() => sqs.VisibilityChanges.Contains(("receipt-bad", 2)), "the bad message given back after 2 s x 1 receive");
        Assert.False(_breaker.IsOpen);

        sqs.Enqueue(FakeSqs.Message("next"));
        await Until(() => sqs.Deleted.Contains("receipt-next"), "the next message handled");
        Assert.DoesNotContain("receipt-bad", sqs.Deleted);
    }

    [Fact]
    public async Task An_outage_pauses_every_queue_holds_the_message_without_shortening_its_visibility_and_retries_it_after()
    {
        var sqsA = FakeSqs.Create(out var clientA);
        var sqsB = FakeSqs.Create(out var clientB);
        var handlerA = new ScriptedHandler();
        var handlerB = new ScriptedHandler();
        var down = true;
        handlerA.Outage = _ => Volatile.Read(ref down);
        await StartAsync(clientA, QueueA, handlerA);
        await StartAsync(clientB, QueueB, handlerB);
        _database.Up = false;

        sqsA.Enqueue(FakeSqs.Message("order-1"));
        await Until(() => _breaker.IsOpen, "the breaker open");
        var receivesAtOpen = (sqsA.Receives, sqsB.Receives);

        // A message that reaches queue B during the outage is not handled there either (the poll in flight may take it, and
        // then holds it).
        sqsB.Enqueue(FakeSqs.Message("notification-1"));
        await Until(() => _database.Probes >= 3, "a few failed probes");
        Assert.Empty(handlerB.Attempts);
        Assert.Equal(["order-1"], handlerA.Attempts.Distinct());
        Assert.DoesNotContain(sqsA.VisibilityChanges, c => c.Receipt == "receipt-order-1" && c.Seconds < 30);
        Assert.True(sqsA.Receives <= receivesAtOpen.Item1 + 1 && sqsB.Receives <= receivesAtOpen.Item2 + 1, "a poller received while the breaker was open");

        Volatile.Write(ref down, false);
        _database.Up = true;
        await Until(() => sqsA.Deleted.Contains("receipt-order-1") && sqsB.Deleted.Contains("receipt-notification-1"),
            "both messages handled after the outage");
        Assert.False(_breaker.IsOpen);
        Assert.Equal(["order-1"], handlerA.Handled);
        Assert.Equal(["notification-1"], handlerB.Handled);
    }

    [Fact]
    public async Task A_long_running_handler_has_its_visibility_extended_before_it_expires()
    {
        var sqs = FakeSqs.Create(out var client);
        sqs.VisibilityTimeoutSeconds = 1;
        var handler = new ScriptedHandler();
        var running = handler.Gates.GetOrAdd("long", _ => new TaskCompletionSource());
        await StartAsync(client, QueueA, handler, new SqsConsumerOptions { Pollers = 1, VisibilityTimeoutSeconds = 30 });

        sqs.Enqueue(FakeSqs.Message("long"));
        await Until(() => sqs.VisibilityChanges.Count(c => c == ("receipt-long", 1)) >= 2, "the visibility of the running message extended twice");
        running.SetResult();
        await Until(() => sqs.Deleted.Contains("receipt-long"), "the message deleted");
    }

    [Fact]
    public async Task Messages_held_for_an_outage_are_given_back_at_once_on_shutdown()
    {
        var sqs = FakeSqs.Create(out var client);
        var handler = new ScriptedHandler { Outage = _ => true };
        var consumer = await StartAsync(client, QueueA, handler);
        _database.Up = false;

        sqs.Enqueue(FakeSqs.Message("held"));
        await Until(() => _breaker.IsOpen, "the breaker open");
        await consumer.StopAsync(TestContext.Current.CancellationToken);

        Assert.Contains(("receipt-held", 0), sqs.VisibilityChanges);
        Assert.DoesNotContain("receipt-held", sqs.Deleted);
    }

    [Fact]
    public async Task A_message_held_longer_than_allowed_is_given_back()
    {
        var sqs = FakeSqs.Create(out var client);
        var handler = new ScriptedHandler { Outage = _ => true };
        await StartAsync(client, QueueA, handler, outage: new OutageOptions { MaxHold = TimeSpan.FromMilliseconds(200) });
        _database.Up = false;

        sqs.Enqueue(FakeSqs.Message("held"));
        await Until(() => sqs.VisibilityChanges.Contains(("receipt-held", 0)), "the message given back after its hold");
        Assert.True(_breaker.IsOpen);
    }

    [Fact]
    public async Task An_invalid_message_is_never_an_outage_whatever_it_wraps()
    {
        var handler = new ThrowingHandler(new InvalidMessageException("not an event", new TimeoutException()));
        var processor = new MessageBatchProcessor(handler, _telemetry, Options.Create(new SqsConsumerOptions()),
            NullLogger<MessageBatchProcessor>.Instance, _database);

        var outcome = await processor.HandleAsync("q", new InboundMessage("m", "x", new Dictionary<string, string>(), 1),
            TestContext.Current.CancellationToken);

        Assert.False(outcome.Handled);
        Assert.False(outcome.IsOutage);
    }

    private sealed class ThrowingHandler(Exception exception) : IMessageHandler
    {
        public Task HandleAsync(InboundMessage message, CancellationToken cancellationToken) => Task.FromException(exception);
    }
}
