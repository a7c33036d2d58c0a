using System.Text.Json.Serialization.Metadata;

namespace OrderPipeline.Messaging.Publishing;

/// <summary>Publishes events to queues. Throws when the event could not be handed to the queue.</summary>
public interface IEventPublisher
{
    /// <summary>Serializes and sends an event as a child of the current trace.</summary>
    Task PublishAsync<TEvent>(string queue, string eventType, TEvent @event, JsonTypeInfo<TEvent> jsonTypeInfo, CancellationToken cancellationToken);

    /// <summary>Sends an already serialized event, e.g. one read back from an outbox.</summary>
    Task SendAsync(OutgoingMessage message, CancellationToken cancellationToken);

    /// <summary>
    /// Sends already serialized events in as few calls as the queue allows, each with its own trace context. Never
    /// throws for a message that could not be sent (only for cancellation): its result says why.
    /// </summary>
    /// <returns>One result per message, in the order given.</returns>
    Task<IReadOnlyList<SendResult>> SendBatchAsync(IReadOnlyList<OutgoingMessage> messages, CancellationToken cancellationToken);
}
