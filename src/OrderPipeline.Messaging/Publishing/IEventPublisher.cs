namespace OrderPipeline.Messaging.Publishing;

/// <summary>Publishes already serialized events to queues, in batches.</summary>
public interface IEventPublisher
{
    /// <summary>
    /// Sends already serialized events in as few calls as the queue allows, each with its own trace context. Never
    /// throws for a message that could not be sent (only for cancellation): its result says why.
    /// </summary>
    /// <returns>One result per message, in the order given.</returns>
    Task<IReadOnlyList<SendResult>> SendBatchAsync(IReadOnlyList<OutgoingMessage> messages, CancellationToken cancellationToken);
}
