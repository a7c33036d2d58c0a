using System.Collections.Concurrent;
using System.Net.Http;
using System.Text.Json.Serialization.Metadata;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using OrderPipeline.Api.Publishing;
using OrderPipeline.Messaging.Events;
using OrderPipeline.Messaging.Publishing;
using OrderPipeline.Messaging.Sqs;

namespace OrderPipeline.Tests.Unit;

[Trait("Category", "Unit")]
public sealed class OrderCreatedPublisherTests
{
    private const string QueueUrl = "https://sqs.us-east-1.amazonaws.com/123456789012/order-created";

    /// <summary>Fails with the given exceptions in turn, then stores; records every order id it was asked to send.</summary>
    private sealed class ScriptedPublisher(params Exception[] failures) : IEventPublisher
    {
        private readonly Queue<Exception> _failures = new(failures);

        public ConcurrentQueue<string> Attempts { get; } = new();

        public Task PublishAsync<TEvent>(string queue, string eventType, TEvent @event, JsonTypeInfo<TEvent> jsonTypeInfo, CancellationToken cancellationToken)
        {
            Attempts.Enqueue(((OrderCreated)(object)@event!).OrderId);
            return _failures.TryDequeue(out var failure) ? Task.FromException(failure) : Task.CompletedTask;
        }

        public Task SendAsync(OutgoingMessage message, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<IReadOnlyList<SendResult>> SendBatchAsync(IReadOnlyList<OutgoingMessage> messages, CancellationToken cancellationToken) =>
            throw new NotSupportedException();
    }

    private static readonly Exception Refused = new HttpRequestException(HttpRequestError.ConnectionError, "Connection refused");
    private static readonly Exception TimedOut = new TaskCanceledException("The operation was canceled.");

    private static OrderCreatedPublisher Publisher(IEventPublisher events, TimeSpan budget) => new(
        events,
        new QueueUrlResolver(null!), // a queue URL is never resolved through SQS
        Options.Create(new QueueOptions { OrderCreated = QueueUrl }),
        Options.Create(new PublishingOptions { AttemptTimeout = TimeSpan.FromSeconds(5), Budget = budget, FirstRetryDelay = TimeSpan.FromMilliseconds(1) }),
        TimeProvider.System,
        NullLogger<OrderCreatedPublisher>.Instance);

    private static OrderCreated Order() => new(Guid.CreateVersion7().ToString(), "c", [new OrderLine("p", 1)], DateTime.UtcNow);

    [Fact]
    public async Task A_failed_send_is_retried_with_the_same_order_id_and_then_published()
    {
        var events = new ScriptedPublisher(TimedOut, Refused);
        var order = Order();

        var outcome = await Publisher(events, TimeSpan.FromSeconds(30)).PublishAsync(order, TestContext.Current.CancellationToken);

        Assert.Equal(PublishOutcome.Published, outcome);
        Assert.Equal([order.OrderId, order.OrderId, order.OrderId], events.Attempts);
    }

    [Fact]
    public async Task When_every_send_is_refused_nothing_was_stored()
    {
        var events = new ScriptedPublisher([.. Enumerable.Repeat(Refused, 1000)]);

        var outcome = await Publisher(events, TimeSpan.FromMilliseconds(100)).PublishAsync(Order(), TestContext.Current.CancellationToken);

        Assert.Equal(PublishOutcome.NotStored, outcome);
        Assert.True(events.Attempts.Count > 1, "the same message was sent more than once within the budget");
    }

    [Fact]
    public async Task A_refusal_after_a_timeout_does_not_hide_that_the_first_send_may_have_stored_it()
    {
        var events = new ScriptedPublisher([TimedOut, .. Enumerable.Repeat(Refused, 1000)]);

        var outcome = await Publisher(events, TimeSpan.FromMilliseconds(100)).PublishAsync(Order(), TestContext.Current.CancellationToken);

        Assert.Equal(PublishOutcome.Unknown, outcome);
    }
}
