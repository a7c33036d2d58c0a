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
using OrderPipeline.UnitTests.Support;

namespace OrderPipeline.UnitTests;

/// <summary>The Api's publish, through the coalescing sender and the real SqsEventPublisher, against an in-memory SQS.</summary>
[Trait("Category", "Unit")]
public sealed class OrderCreatedPublisherTests
{
    private static readonly Exception Refused = new HttpRequestException(HttpRequestError.ConnectionError, "Connection refused");

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

    private static PublishingOptions Options(TimeSpan budget, TimeSpan? attemptTimeout = null) => new()
    {
        AttemptTimeout = attemptTimeout ?? TimeSpan.FromSeconds(5),
        Budget = budget,
        FirstRetryDelay = TimeSpan.FromMilliseconds(1),
        Coalescing = new CoalescingOptions { Window = TimeSpan.FromMilliseconds(200) },
    };

    private static OrderCreatedPublisher Publisher(CoalescingSender sender, PublishingOptions options) => new(
        sender,
        new QueueUrlResolver(null!), // a queue URL is never resolved through SQS
        Microsoft.Extensions.Options.Options.Create(new QueueOptions { OrderCreated = BatchSqs.QueueUrl }),
        Microsoft.Extensions.Options.Options.Create(options),
        TimeProvider.System,
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
        var options = Options(TimeSpan.FromMilliseconds(600));
        await using var senders = _sqs.Start(options);
        // A call in flight, so the two orders' first attempts wait for each other and share the next one.
        var blocker = senders.Sender.SendAsync(new OutgoingMessage(BatchSqs.QueueUrl, "OrderCreated", "blocker"), CancellationToken.None);
        while (_sqs.Calls.IsEmpty)
        {
            await Task.Delay(5, TestContext.Current.CancellationToken);
        }
        var publisher = Publisher(senders.Sender, options);

        var first = publisher.PublishAsync(refused, TestContext.Current.CancellationToken);
        await Task.Delay(30, TestContext.Current.CancellationToken);
        var outcomes = await Task.WhenAll(first, publisher.PublishAsync(accepted, TestContext.Current.CancellationToken));
        release.SetResult();
        await blocker;

        Assert.Equal([PublishOutcome.NotStored, PublishOutcome.Published], outcomes);
        Assert.Contains(_sqs.Calls, c => c.Count == 2);
        Assert.True(Attempts.Count(id => id == refused.OrderId) > 1, "the refused order was sent again within the budget");
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
