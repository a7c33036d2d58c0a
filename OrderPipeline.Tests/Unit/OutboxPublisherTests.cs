using System.Collections.Concurrent;
using System.Text.Json.Serialization.Metadata;
using Microsoft.Extensions.Logging.Abstractions;
using MySqlConnector;
using OrderPipeline.Messaging.Publishing;
using OrderPipeline.Processor.Outbox;

namespace OrderPipeline.Tests.Unit;

/// <summary>The sending half of the outbox publisher (TrySendAsync); marking rows needs MySQL and is left to the integration tests.</summary>
[Trait("Category", "Unit")]
public sealed class OutboxPublisherTests : IDisposable
{
    private sealed class FakePublisher : IEventPublisher
    {
        public Exception? Failure { get; set; }
        public ConcurrentQueue<OutgoingMessage> Sent { get; } = new();

        public Task PublishAsync<TEvent>(string queue, string eventType, TEvent @event, JsonTypeInfo<TEvent> jsonTypeInfo, CancellationToken cancellationToken) =>
            throw new NotSupportedException("the outbox sends serialized events");

        public Task SendAsync(OutgoingMessage message, CancellationToken cancellationToken)
        {
            if (Failure is not null)
            {
                return Task.FromException(Failure);
            }
            Sent.Enqueue(message);
            return Task.CompletedTask;
        }

        public Task<IReadOnlyList<SendResult>> SendBatchAsync(IReadOnlyList<OutgoingMessage> messages, CancellationToken cancellationToken) =>
            throw new NotSupportedException("the publisher sends one message at a time");
    }

    // Never opened: only the sending half is exercised here (TryPublishAsync also marks the row, so it needs MySQL).
    private readonly MySqlDataSource _dataSource = new("Server=db.invalid;Database=orders;User ID=none");
    private readonly FakePublisher _events = new();
    private readonly OutboxPublisher _publisher;

    private static readonly OutboxMessage Message = new(42, "order-processed", "OrderProcessed", """{"order_id":"o-1"}""",
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "congo=t61rcWkgMzE");

    public OutboxPublisherTests()
    {
        _publisher = new OutboxPublisher(_events, _dataSource, Microsoft.Extensions.Options.Options.Create(new OutboxOptions()), TimeProvider.System, NullLogger<OutboxPublisher>.Instance);
    }

    public void Dispose() => _dataSource.Dispose();

    [Fact]
    public async Task TrySend_sends_the_stored_message_as_it_was_committed()
    {
        Assert.True(await _publisher.TrySendAsync(Message, TestContext.Current.CancellationToken));

        Assert.Equal(
            new OutgoingMessage("order-processed", "OrderProcessed", """{"order_id":"o-1"}""", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "congo=t61rcWkgMzE"),
            Assert.Single(_events.Sent));
    }

    [Fact]
    public async Task TrySend_returns_false_instead_of_throwing_when_the_queue_is_unreachable()
    {
        _events.Failure = new HttpRequestException("connection refused");

        Assert.False(await _publisher.TrySendAsync(Message, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task TrySend_lets_cancellation_through()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        _events.Failure = new OperationCanceledException(cancelled.Token);

        await Assert.ThrowsAsync<OperationCanceledException>(() => _publisher.TrySendAsync(Message, cancelled.Token));
    }
}
