using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http;
using System.Text.Json;
using Amazon.SQS.Model;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using OrderPipeline.Api.Publishing;
using OrderPipeline.Messaging.Events;
using OrderPipeline.Messaging.Publishing;
using OrderPipeline.Messaging.Sqs;
using OrderPipeline.Messaging.Telemetry;
using OrderPipeline.Tests.Shared;
using OrderPipeline.UnitTests.Support;

namespace OrderPipeline.UnitTests;

/// <summary>The Api's publish, through the coalescing sender and the real SqsEventPublisher, against an in-memory SQS.</summary>
[Trait("Category", "Unit")]
public sealed class OrderCreatedPublisherTests
{
    private static readonly Exception Refused = new HttpRequestException(HttpRequestError.ConnectionError, "Connection refused");

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private readonly BatchSqs _sqs = new();

    /// <summary>Every call fails with the given exceptions in turn, then is stored.</summary>
    private void FailCalls(params Exception[] failures)
    {
        var left = new ConcurrentQueue<Exception>(failures);
        _sqs.Answer = (request, _) => left.TryDequeue(out var failure)
            ? Task.FromException<SendMessageBatchResponse>(failure)
            : Task.FromResult(BatchSqs.Stored(request));
    }

    // A timeout as the SDK throws it: the answer did not come, though the caller's token did not fire.
    private static Exception TimedOut() => new TaskCanceledException("The operation was canceled.");

    private static PublishingOptions Options(TimeSpan budget, TimeSpan? attemptTimeout = null, TimeSpan? firstRetryDelay = null) => new()
    {
        AttemptTimeout = attemptTimeout ?? TimeSpan.FromSeconds(5),
        Budget = budget,
        FirstRetryDelay = firstRetryDelay ?? TimeSpan.FromMilliseconds(1),
        Coalescing = new CoalescingOptions { Window = TimeSpan.FromMilliseconds(200) },
    };

    private static OrderCreatedPublisher Publisher(CoalescingSender sender, PublishingOptions options, TimeProvider? clock = null) => new(
        sender,
        new QueueUrlResolver(null!), // a queue URL is never resolved through SQS
        Microsoft.Extensions.Options.Options.Create(new QueueOptions { OrderCreated = BatchSqs.QueueUrl }),
        Microsoft.Extensions.Options.Options.Create(options),
        clock ?? TimeProvider.System,
        NullLogger<OrderCreatedPublisher>.Instance);

    private static OrderCreated Order() => new(Guid.CreateVersion7().ToString(), "c", [new OrderLine("p", 1)], DateTime.UtcNow);

    private static string OrderIdOf(string body) => JsonSerializer.Deserialize(body, EventJsonContext.Default.OrderCreated)!.OrderId;

    private IEnumerable<string> Attempts => _sqs.Calls.SelectMany(c => c).Where(body => body.StartsWith('{')).Select(OrderIdOf);

    [Fact]
    public async Task A_failed_send_is_retried_with_the_same_order_id_and_then_published()
    {
        FailCalls(TimedOut(), Refused);
        var options = Options(TimeSpan.FromSeconds(30));
        await using var senders = _sqs.Start(options);
        var order = Order();

        var outcome = await Publisher(senders.Sender, options).PublishAsync(order, TestContext.Current.CancellationToken);

        Assert.Equal(PublishOutcome.Published, outcome);
        Assert.Equal([order.OrderId, order.OrderId, order.OrderId], Attempts);
    }

    [Fact]
    public async Task When_every_send_is_refused_nothing_was_stored()
    {
        FailCalls([.. Enumerable.Repeat(Refused, 1000)]);
        var options = Options(TimeSpan.FromMilliseconds(500));
        await using var senders = _sqs.Start(options);

        var outcome = await Publisher(senders.Sender, options).PublishAsync(Order(), TestContext.Current.CancellationToken);

        Assert.Equal(PublishOutcome.NotStored, outcome);
        Assert.True(Attempts.Count() > 1, "the same message was sent more than once within the budget");
    }

    [Fact]
    public async Task A_refusal_after_a_timeout_does_not_hide_that_the_first_send_may_have_stored_it()
    {
        FailCalls([TimedOut(), .. Enumerable.Repeat(Refused, 1000)]);
        var options = Options(TimeSpan.FromMilliseconds(500));
        await using var senders = _sqs.Start(options);

        var outcome = await Publisher(senders.Sender, options).PublishAsync(Order(), TestContext.Current.CancellationToken);

        Assert.Equal(PublishOutcome.Unknown, outcome);
    }

    [Fact]
    public async Task An_entry_refused_in_a_shared_call_fails_only_its_own_order_as_not_stored()
    {
        var refused = Order();
        var accepted = Order();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _sqs.Answer = async (request, cancellationToken) =>
        {
            if (request.Entries[0].MessageBody == "blocker")
            {
                await release.Task.WaitAsync(cancellationToken);
            }
            return BatchSqs.Refusing(request, body => body.Contains(refused.OrderId, StringComparison.Ordinal));
        };
        // The second order comes 30 ms after the first, before the first could be sent again (its retry delay is longer):
        // without the window each would go in a call of its own.
        var spacing = TimeSpan.FromMilliseconds(30);
        var options = Options(TimeSpan.FromMilliseconds(600), firstRetryDelay: TimeSpan.FromMilliseconds(50));
        // The publisher's budget, retry delays and attempt deadlines, and the sender's window, all on one clock that
        // moves only when told to.
        var clock = new WatchedClock();
        await using var senders = _sqs.Start(options, clock);
        // A call in flight, so the two orders' first attempts wait for each other and share the next one.
        var blocker = senders.Sender.SendAsync(new OutgoingMessage(BatchSqs.QueueUrl, "OrderCreated", "blocker"), CancellationToken.None);
        await Eventually.UntilAsync(() => !_sqs.Calls.IsEmpty, Patience, () => "the blocker's call");
        var publisher = Publisher(senders.Sender, options, clock);

        var opened = clock.GetUtcNow();
        var first = await PublishTakenInAsync(publisher, refused, clock);
        clock.Advance(spacing);
        var second = await PublishTakenInAsync(publisher, accepted, clock);
        // The window, counted from the first one's arrival, closes: they go in one call.
        clock.SetUtcNow(opened + options.Coalescing.Window);
        await second.WaitAsync(Patience, TestContext.Current.CancellationToken);

        // Only the refused order is left, sent again after each retry delay until its budget runs out. Whenever it waits
        // on the clock for something besides its attempt's deadline (two wake-ups: its retry delay, or the window while
        // the blocker is in flight), the clock moves to the first of them: the retry comes due, the window closes, or,
        // should the deadline come first, the attempt ends.
        while (!first.IsCompleted)
        {
            await Eventually.UntilAsync(() => first.IsCompleted || clock.WakeUps.Count >= 2, Patience,
                () => $"the refused order to wait on the clock (wake-ups: {string.Join(", ", clock.WakeUps)})");
            if (!first.IsCompleted)
            {
                clock.AdvanceToFirstWakeUp();
            }
        }
        var outcomes = await Task.WhenAll(first, second).WaitAsync(Patience, TestContext.Current.CancellationToken);
        release.SetResult();
        await blocker;

        Assert.Equal([PublishOutcome.NotStored, PublishOutcome.Published], outcomes);
        Assert.Contains(_sqs.Calls, c => c.Count == 2);
        Assert.True(Attempts.Count(id => id == refused.OrderId) > 1, "the refused order was sent again within the budget");
    }

    /// <summary>
    /// Publishes <paramref name="order"/> and waits until the sender has taken in its first attempt: the attempt started
    /// two timers, its deadline and then the window it waits in, or it went out in a call of its own.
    /// </summary>
    private async Task<Task<PublishOutcome>> PublishTakenInAsync(OrderCreatedPublisher publisher, OrderCreated order, WatchedClock clock)
    {
        var timers = clock.TimersStarted;
        var calls = _sqs.Calls.Count;
        var publishing = publisher.PublishAsync(order, TestContext.Current.CancellationToken);
        await Eventually.UntilAsync(() => clock.TimersStarted >= timers + 2 || _sqs.Calls.Count > calls, Patience,
            () => $"the sender to take in {order.OrderId}");
        return publishing;
    }

    [Fact]
    public async Task A_retry_pause_that_overruns_the_budget_ends_the_attempts_instead_of_throwing()
    {
        FailCalls([.. Enumerable.Repeat(Refused, 1000)]);
        var options = Options(TimeSpan.FromMilliseconds(100), firstRetryDelay: TimeSpan.FromMilliseconds(50));
        var clock = new WatchedClock();
        var start = clock.GetUtcNow();
        await using var senders = _sqs.Start(options, clock);

        var publishing = Publisher(senders.Sender, options, clock).PublishAsync(Order(), TestContext.Current.CancellationToken);
        await Eventually.UntilAsync(() => clock.WakeUps.Contains(start + options.FirstRetryDelay), TimeSpan.FromSeconds(10),
            () => "the publisher to pause before its retry");
        // A loaded machine wakes the pause late, past the whole budget: no time is left for another attempt.
        clock.SetUtcNow(start + TimeSpan.FromMilliseconds(250));

        Assert.Equal(PublishOutcome.NotStored, await publishing.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken));
        Assert.Single(Attempts);
    }

    [Fact]
    public async Task A_call_that_times_out_makes_the_outcome_unknown()
    {
        _sqs.Answer = async (request, cancellationToken) =>
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
            return BatchSqs.Stored(request);
        };
        var options = Options(TimeSpan.FromMilliseconds(500), attemptTimeout: TimeSpan.FromMilliseconds(100));
        await using var senders = _sqs.Start(options);

        var outcome = await Publisher(senders.Sender, options).PublishAsync(Order(), TestContext.Current.CancellationToken);

        Assert.Equal(PublishOutcome.Unknown, outcome);
    }

    [Fact]
    public async Task The_message_carries_the_requests_trace_although_another_thread_sends_it()
    {
        var options = Options(TimeSpan.FromSeconds(30));
        await using var senders = _sqs.Start(options);
        SendMessageBatchRequestEntry? sent = null;
        _sqs.Answer = (request, _) =>
        {
            sent = request.Entries[0];
            return Task.FromResult(BatchSqs.Stored(request));
        };
        using var request = new Activity("POST /orders").SetIdFormat(ActivityIdFormat.W3C).Start();

        await Publisher(senders.Sender, options).PublishAsync(Order(), TestContext.Current.CancellationToken);

        Assert.NotNull(sent);
        Assert.True(sent.MessageAttributes.TryGetValue(MessagingTelemetry.TraceParentAttribute, out var traceParent), "no traceparent");
        Assert.True(ActivityContext.TryParse(traceParent.StringValue, null, out var context), traceParent.StringValue);
        Assert.Equal(request.TraceId, context.TraceId);
    }
}
