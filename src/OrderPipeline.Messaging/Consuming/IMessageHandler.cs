namespace OrderPipeline.Messaging.Consuming;

/// <summary>
/// Handles one message. Returning normally means the message may be deleted from the queue;
/// throwing leaves it for redelivery (and, after the queue's maxReceiveCount, for the DLQ).
/// </summary>
public interface IMessageHandler
{
    Task HandleAsync(InboundMessage message, CancellationToken cancellationToken);
}
