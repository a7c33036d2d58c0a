using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using OrderPipeline.Messaging.Consuming;
using OrderPipeline.Messaging.Telemetry;

namespace OrderPipeline.UnitTests;

[Trait("Category", "Unit")]
public sealed class MessageBatchProcessorTests : IDisposable
{
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly MessagingTelemetry _telemetry;

    public MessageBatchProcessorTests()
    {
        _telemetry = new MessagingTelemetry(MeterFactory);
    }

    private IMeterFactory MeterFactory => _services.GetRequiredService<IMeterFactory>();

    public void Dispose()
    {
        _telemetry.Dispose();
        _services.Dispose();
    }

    /// <summary>Fails the chosen messages and measures how many run at once.</summary>
    private sealed class FakeHandler : IMessageHandler
    {
        private int _inFlight;
        private int _maxInFlight;
        private readonly TaskCompletionSource _allStarted = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public HashSet<string> Throwing { get; init; } = [];
        public HashSet<string> Invalid { get; init; } = [];

        /// <summary>When set, every handler waits until this many run at the same time (proving the processor allows that many).</summary>
        public int? HoldUntilInFlight { get; init; }

        public ConcurrentQueue<InboundMessage> Received { get; } = new();
        public int MaxInFlight => Volatile.Read(ref _maxInFlight);

        public async Task HandleAsync(InboundMessage message, CancellationToken cancellationToken)
        {
            Received.Enqueue(message);
            var now = Interlocked.Increment(ref _inFlight);
            for (var max = Volatile.Read(ref _maxInFlight); now > max; max = Volatile.Read(ref _maxInFlight))
            {
                if (Interlocked.CompareExchange(ref _maxInFlight, now, max) == max)
                {
                    break;
                }
            }
            try
            {
                if (HoldUntilInFlight is { } target)
                {
                    if (now >= target)
                    {
                        _allStarted.TrySetResult();
                    }
                    // A safety net, not a sleep: fails the message (and so the test) if the processor never runs that many at once.
                    await _allStarted.Task.WaitAsync(TimeSpan.FromSeconds(10), cancellationToken);
                }
                await Task.Yield();
                cancellationToken.ThrowIfCancellationRequested();
                if (Invalid.Contains(message.MessageId))
                {
                    throw new InvalidMessageException("not an event");
                }
                if (Throwing.Contains(message.MessageId))
                {
                    throw new InvalidOperationException("database down");
                }
            }
            finally
            {
                Interlocked.Decrement(ref _inFlight);
            }
        }
    }

    private sealed class SynchronouslyThrowingHandler : IMessageHandler
    {
        public Task HandleAsync(InboundMessage message, CancellationToken cancellationToken) =>
            message.MessageId == "m-2" ? throw new InvalidOperationException("thrown before any await") : Task.CompletedTask;
    }

    private MessageBatchProcessor Processor(IMessageHandler handler, int maxConcurrency = 10) =>
        new(handler, _telemetry, Options.Create(new SqsConsumerOptions { MaxConcurrency = maxConcurrency }), NullLogger<MessageBatchProcessor>.Instance);

    private static List<InboundMessage> Batch(int count) =>
        [.. Enumerable.Range(1, count).Select(i => new InboundMessage($"m-{i}", $"{{\"n\":{i}}}", new Dictionary<string, string>(), 1))];

    [Fact]
    public async Task Returns_no_ids_when_every_message_is_handled()
    {
        var handler = new FakeHandler();

        var failed = await Processor(handler).ProcessAsync("order-created", Batch(5), TestContext.Current.CancellationToken);

        Assert.Empty(failed);
        Assert.Equal(["m-1", "m-2", "m-3", "m-4", "m-5"], handler.Received.Select(m => m.MessageId).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Returns_exactly_the_ids_of_failed_and_invalid_messages_in_batch_order()
    {
        var handler = new FakeHandler { Throwing = ["m-2", "m-7"], Invalid = ["m-4"] };

        var failed = await Processor(handler).ProcessAsync("order-created", Batch(8), TestContext.Current.CancellationToken);

        Assert.Equal(["m-2", "m-4", "m-7"], failed);
        Assert.Equal(8, handler.Received.Count);
    }

    [Fact]
    public async Task Returns_every_id_when_every_message_fails()
    {
        var handler = new FakeHandler { Throwing = ["m-1", "m-2"], Invalid = ["m-3"] };

        var failed = await Processor(handler).ProcessAsync("order-created", Batch(3), TestContext.Current.CancellationToken);

        Assert.Equal(["m-1", "m-2", "m-3"], failed);
    }

    [Fact]
    public async Task Counts_a_handler_that_throws_synchronously_as_failed()
    {
        var failed = await Processor(new SynchronouslyThrowingHandler()).ProcessAsync("order-created", Batch(3), TestContext.Current.CancellationToken);

        Assert.Equal(["m-2"], failed);
    }

    [Fact]
    public async Task Returns_nothing_for_an_empty_batch()
    {
        var handler = new FakeHandler();

        var failed = await Processor(handler).ProcessAsync("order-created", [], TestContext.Current.CancellationToken);

        Assert.Empty(failed);
        Assert.Empty(handler.Received);
    }

    [Fact]
    public async Task Hands_the_handler_each_message_unchanged_but_for_the_trace_it_runs_in()
    {
        var handler = new FakeHandler();
        var message = new InboundMessage("m-1", "{\"order_id\":\"o-1\"}",
            new Dictionary<string, string> { ["traceparent"] = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" }, 3);

        await Processor(handler).ProcessAsync("order-created", [message], TestContext.Current.CancellationToken);

        var received = Assert.Single(handler.Received);
        Assert.Equal(message with { Trace = received.Trace, ProcessSpan = received.ProcessSpan }, received);
        // Its process span, or the trace it arrived with when nobody records spans: either way the same trace.
        Assert.Equal("0af7651916cd43dd8448eb211c80319c", received.Trace.TraceId.ToHexString());
    }

    [Theory]
    [InlineData(1, 6)]
    [InlineData(3, 20)]
    [InlineData(10, 25)]
    public async Task Runs_as_many_messages_at_once_as_MaxConcurrency_allows_and_never_more(int maxConcurrency, int batchSize)
    {
        var handler = new FakeHandler { HoldUntilInFlight = maxConcurrency };

        var failed = await Processor(handler, maxConcurrency).ProcessAsync("order-created", Batch(batchSize), TestContext.Current.CancellationToken);

        Assert.Empty(failed);
        Assert.Equal(batchSize, handler.Received.Count);
        Assert.Equal(maxConcurrency, handler.MaxInFlight);
    }

    [Fact]
    public async Task Runs_a_batch_smaller_than_MaxConcurrency_all_at_once()
    {
        var handler = new FakeHandler { HoldUntilInFlight = 4 };

        var failed = await Processor(handler, maxConcurrency: 10).ProcessAsync("order-created", Batch(4), TestContext.Current.CancellationToken);

        Assert.Empty(failed);
        Assert.Equal(4, handler.MaxInFlight);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    public async Task Treats_a_MaxConcurrency_below_1_as_1(int maxConcurrency)
    {
        var handler = new FakeHandler();

        var failed = await Processor(handler, maxConcurrency).ProcessAsync("order-created", Batch(10), TestContext.Current.CancellationToken);

        Assert.Empty(failed);
        Assert.Equal(10, handler.Received.Count);
        Assert.Equal(1, handler.MaxInFlight);
    }

    [Fact]
    public async Task Counts_messages_cut_short_by_cancellation_as_failed()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        var handler = new FakeHandler();

        var failed = await Processor(handler).ProcessAsync("order-created", Batch(3), cancelled.Token);

        Assert.Equal(["m-1", "m-2", "m-3"], failed);
    }

    [Fact]
    public async Task Records_one_process_duration_per_message_with_the_error_type_of_failures()
    {
        var recorded = new ConcurrentQueue<(string Queue, string? ErrorType)>();
        var factory = MeterFactory;
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Scope == factory && instrument.Name == "messaging.process.duration")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<double>((_, _, tags, _) =>
        {
            string? queue = null, errorType = null;
            foreach (var tag in tags)
            {
                if (tag.Key == "messaging.destination.name") { queue = tag.Value as string; }
                if (tag.Key == "error.type") { errorType = tag.Value as string; }
            }
            recorded.Enqueue((queue!, errorType));
        });
        listener.Start();
        var handler = new FakeHandler { Throwing = ["m-1"], Invalid = ["m-2"] };

        await Processor(handler).ProcessAsync("order-created", Batch(3), TestContext.Current.CancellationToken);

        Assert.Equal(
            [("order-created", "InvalidMessageException"), ("order-created", "InvalidOperationException"), ("order-created", (string?)null)],
            recorded.OrderBy(r => r.ErrorType ?? "~", StringComparer.Ordinal));
    }

    [Fact]
    public async Task Handles_each_message_in_a_span_that_continues_its_trace()
    {
        var stopped = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => ReferenceEquals(source, _telemetry.ActivitySource),
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        var handler = new FakeHandler { Throwing = ["m-2"] };
        InboundMessage Traced(string id, string spanId, int receiveCount) => new(id, "{}",
            new Dictionary<string, string> { ["traceparent"] = $"00-0af7651916cd43dd8448eb211c80319c-{spanId}-01" }, receiveCount);

        await Processor(handler).ProcessAsync("order-created", [Traced("m-1", "b7ad6b7169203331", 1), Traced("m-2", "00f067aa0ba902b7", 4)],
            TestContext.Current.CancellationToken);

        var spans = stopped.ToDictionary(a => (string)a.GetTagItem("messaging.message.id")!, StringComparer.Ordinal);
        Assert.Equal(2, spans.Count);
        Assert.All(spans.Values, span =>
        {
            Assert.Equal("order-created process", span.DisplayName);
            Assert.Equal("0af7651916cd43dd8448eb211c80319c", span.TraceId.ToHexString());
        });
        Assert.Equal("b7ad6b7169203331", spans["m-1"].ParentSpanId.ToHexString());
        Assert.Equal("00f067aa0ba902b7", spans["m-2"].ParentSpanId.ToHexString());
        Assert.Equal(ActivityStatusCode.Unset, spans["m-1"].Status);
        Assert.Equal(ActivityStatusCode.Error, spans["m-2"].Status);
        Assert.Equal(4, spans["m-2"].GetTagItem("messaging.sqs.receive_count"));
    }
}
