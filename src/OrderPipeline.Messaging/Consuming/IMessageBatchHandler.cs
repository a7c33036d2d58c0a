namespace OrderPipeline.Messaging.Consuming;

/// <summary>
/// A handler that settles the messages of a received batch together, e.g. in one database transaction: per batch, not
/// per message, is what lets a consumer outrun a round of work per message. The consumer still acknowledges, retries
/// and dead-letters each message on its own (<see cref="MessageBatchProcessor"/>).
/// </summary>
public interface IMessageBatchHandler : IMessageHandler
{
    /// <summary>
    /// Handles the messages together. A message that fails for a reason of its own that shows without the others (it
    /// is not a valid event) is returned with why, and the others are still handled. Throwing means none of the others
    /// was handled (a <see cref="BatchFailedException"/> carries those that had failed on their own): they are then tried
    /// again in halves, down to single messages, so one bad message never fails its neighbours.
    /// </summary>
    /// <param name="messages">Each carries the trace its handling runs in (<see cref="InboundMessage.Trace"/>).</param>
    /// <returns>The messages that failed on their own, by message id; the others were handled.</returns>
    Task<IReadOnlyDictionary<string, Exception>> HandleBatchAsync(IReadOnlyList<InboundMessage> messages, CancellationToken cancellationToken);

    /// <summary>A single message is a batch of one: its failure, if any, is thrown.</summary>
    async Task IMessageHandler.HandleAsync(InboundMessage message, CancellationToken cancellationToken)
    {
        if ((await HandleBatchAsync([message], cancellationToken).ConfigureAwait(false)).Values.FirstOrDefault() is { } failure)
        {
            throw failure;
        }
    }
}

/// <summary>
/// A batch failed as a whole (<see cref="Exception.InnerException"/>), after some of its messages had already failed on
/// their own: those stay failed for their own reasons (an invalid message is never held or requeued for an outage),
/// and only the others are retried or split.
/// </summary>
public sealed class BatchFailedException(Exception cause, IReadOnlyDictionary<string, Exception> failedAlone) : Exception(cause.Message, cause)
{
    /// <summary>The messages that failed on their own, by message id, with why.</summary>
    public IReadOnlyDictionary<string, Exception> FailedAlone { get; } = failedAlone;
}
