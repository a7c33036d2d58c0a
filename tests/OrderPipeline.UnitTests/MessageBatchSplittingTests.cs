using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using OrderPipeline.Messaging.Consuming;
using OrderPipeline.Messaging.Outages;
using OrderPipeline.Messaging.Telemetry;
using OrderPipeline.Outages;

namespace OrderPipeline.UnitTests;

/// <summary>A handler that settles messages together: how batches are formed, split around a bad message, and not split for an outage.</summary>
[Trait("Category", "Unit")]
public sealed class MessageBatchSplittingTests : IDisposable
{
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly MessagingTelemetry _telemetry;

    public MessageBatchSplittingTests()
    {
        _telemetry = new MessagingTelemetry(_services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>());
    }

    public void Dispose()
    {
        _telemetry.Dispose();
        _services.Dispose();
    }

    private sealed class DatabaseDown(string message) : Exception(message);

    private sealed class DownIsAnOutage : IOutageDetector
    {
        public bool IsOutage(Exception exception) => exception is DatabaseDown;

        public Task<bool> ProbeAsync(CancellationToken cancellationToken) => Task.FromResult(false);
    }

    /// <summary>Fails a whole batch when it holds a poison message, as one transaction would; reports invalid ones alone.</summary>
    private sealed class FakeBatchHandler : IMessageBatchHandler
    {
        public HashSet<string> Poison { get; init; } = [];
        public HashSet<string> Invalid { get; init; } = [];
        public bool Down { get; init; }
        public ConcurrentQueue<string[]> Calls { get; } = new();
        public ConcurrentBag<string> Handled { get; } = [];

        public Task HandleAsync(InboundMessage message, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("a batch handler is always given its messages as a batch here");

        public Task<IReadOnlyDictionary<string, Exception>> HandleBatchAsync(IReadOnlyList<InboundMessage> messages, CancellationToken cancellationToken)
        {
            Calls.Enqueue([.. messages.Select(m => m.MessageId)]);
            var invalid = messages.Where(m => Invalid.Contains(m.MessageId))
                .ToDictionary(m => m.MessageId, m => (Exception)new InvalidMessageException("not an event"));
            if (Down)
            {
                throw invalid.Count > 0 ? new BatchFailedException(new DatabaseDown("connection refused"), invalid) : new DatabaseDown("connection refused");
            }
            if (messages.Any(m => Poison.Contains(m.MessageId)))
            {
                var poisoned = new InvalidOperationException("the database refused one row of the batch");
                throw invalid.Count > 0 ? new BatchFailedException(poisoned, invalid) : poisoned;
            }
            foreach (var message in messages.Where(m => !Invalid.Contains(m.MessageId)))
            {
                Handled.Add(message.MessageId);
            }
            return Task.FromResult<IReadOnlyDictionary<string, Exception>>(invalid);
        }
    }

    /// <summary>Single messages go through the interface's HandleAsync, as the real handlers' do; the rest is the fake's batch behaviour.</summary>
    private sealed class SingleAwareHandler(FakeBatchHandler inner) : IMessageBatchHandler
    {
        public Task<IReadOnlyDictionary<string, Exception>> HandleBatchAsync(IReadOnlyList<InboundMessage> messages, CancellationToken cancellationToken) =>
            inner.HandleBatchAsync(messages, cancellationToken);
    }

    private MessageBatchProcessor Processor(FakeBatchHandler handler) =>
        new(new SingleAwareHandler(handler), _telemetry, Options.Create(new SqsConsumerOptions()), NullLogger<MessageBatchProcessor>.Instance,
            new DownIsAnOutage());

    private static List<InboundMessage> Batch(int count) =>
        [.. Enumerable.Range(1, count).Select(i => new InboundMessage($"m-{i}", $"{{\"n\":{i}}}", new Dictionary<string, string>(), 1))];

    [Fact]
    public async Task Gives_the_handler_a_received_batch_in_one_call()
    {
        var handler = new FakeBatchHandler();

        var outcomes = await Processor(handler).HandleBatchAsync("order-created", Batch(10), TestContext.Current.CancellationToken);

        Assert.All(outcomes, o => Assert.True(o.Handled));
        Assert.Equal(10, Assert.Single(handler.Calls).Length);
    }

    [Fact]
    public async Task Settles_a_larger_Lambda_batch_in_parts_of_at_most_ten()
    {
        var handler = new FakeBatchHandler();

        var failed = await Processor(handler).ProcessAsync("order-created", Batch(25), TestContext.Current.CancellationToken);

        Assert.Empty(failed);
        Assert.Equal([10, 10, 5], handler.Calls.Select(c => c.Length).Order().Reverse());
        Assert.Equal(25, handler.Handled.Distinct().Count());
    }

    [Theory]
    [InlineData("m-1")]
    [InlineData("m-5")]
    [InlineData("m-10")]
    public async Task A_poison_message_fails_alone_and_every_neighbour_is_handled(string poison)
    {
        var handler = new FakeBatchHandler { Poison = [poison] };

        var outcomes = await Processor(handler).HandleBatchAsync("order-created", Batch(10), TestContext.Current.CancellationToken);

        var batch = Batch(10);
        Assert.Equal([poison], batch.Where((_, i) => !outcomes[i].Handled).Select(m => m.MessageId));
        Assert.False(outcomes[batch.FindIndex(m => m.MessageId == poison)].IsOutage);
        Assert.Equal(9, handler.Handled.Count);
        // Halving finds it in a few tries, not one per message: 1 + 2 + 2 + 2 (+ 2) calls for 10.
        Assert.InRange(handler.Calls.Count, 5, 9);
    }

    [Fact]
    public async Task Two_poison_messages_fail_and_the_other_eight_are_handled()
    {
        var handler = new FakeBatchHandler { Poison = ["m-2", "m-9"] };

        var failed = await Processor(handler).ProcessAsync("order-created", Batch(10), TestContext.Current.CancellationToken);

        Assert.Equal(["m-2", "m-9"], failed);
        Assert.Equal(8, handler.Handled.Count);
    }

    [Fact]
    public async Task An_outage_is_not_split_every_message_ends_as_an_outage_after_one_try()
    {
        var handler = new FakeBatchHandler { Down = true };

        var outcomes = await Processor(handler).HandleBatchAsync("order-created", Batch(10), TestContext.Current.CancellationToken);

        Assert.All(outcomes, o => Assert.True(o.IsOutage));
        Assert.Single(handler.Calls);
    }

    [Fact]
    public async Task An_invalid_message_fails_on_its_own_without_splitting_the_batch()
    {
        var handler = new FakeBatchHandler { Invalid = ["m-3"] };

        var failed = await Processor(handler).ProcessAsync("order-created", Batch(10), TestContext.Current.CancellationToken);

        Assert.Equal(["m-3"], failed);
        Assert.Single(handler.Calls);
        Assert.Equal(9, handler.Handled.Count);
    }

    [Fact]
    public async Task In_an_outage_an_invalid_message_still_fails_for_its_own_reason_and_only_the_valid_ones_are_outages()
    {
        var handler = new FakeBatchHandler { Down = true, Invalid = ["m-2"] };

        var outcomes = await Processor(handler).HandleBatchAsync("order-created", Batch(4), TestContext.Current.CancellationToken);

        Assert.Equal([true, false, true, true], outcomes.Select(o => o.IsOutage));
        Assert.IsType<InvalidMessageException>(outcomes[1].Error);
        Assert.Single(handler.Calls);
    }

    [Fact]
    public async Task A_poison_message_beside_an_invalid_one_is_split_out_of_the_rest_and_the_invalid_one_is_not_tried_again()
    {
        var handler = new FakeBatchHandler { Poison = ["m-5"], Invalid = ["m-1"] };

        var failed = await Processor(handler).ProcessAsync("order-created", Batch(6), TestContext.Current.CancellationToken);

        Assert.Equal(["m-1", "m-5"], failed);
        Assert.Equal(4, handler.Handled.Count);
        Assert.Single(handler.Calls, c => c.Contains("m-1"));
    }
}
