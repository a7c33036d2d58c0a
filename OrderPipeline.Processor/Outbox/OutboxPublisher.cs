using MySqlConnector;
using OrderPipeline.Messaging.Publishing;

namespace OrderPipeline.Processor.Outbox;

/// <summary>Publishes outbox rows. A row that could not be sent stays unpublished for the relay.</summary>
public sealed partial class OutboxPublisher(IEventPublisher publisher, MySqlDataSource dataSource, TimeProvider clock, ILogger<OutboxPublisher> logger)
{
    /// <summary>Sends the message and marks it published. Used right after the transaction that wrote it commits.</summary>
    /// <returns>True when the message reached the queue.</returns>
    public async Task<bool> TryPublishAsync(OutboxMessage message, CancellationToken cancellationToken)
    {
        var sent = await TrySendAsync(message, cancellationToken).ConfigureAwait(false);
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await (sent
                ? OutboxStore.MarkPublishedAsync(connection, null, message.Id, clock.GetUtcNow().UtcDateTime, cancellationToken)
                : OutboxStore.MarkFailedAttemptAsync(connection, null, message.Id, cancellationToken)).ConfigureAwait(false);
        }
        catch (MySqlException ex)
        {
            // Harmless either way: a published row left unmarked is published again by the relay (the Notifier
            // ignores the repeat); an unsent one is the relay's to send anyway.
            LogMarkFailed(logger, ex, message.Id, sent);
        }
        return sent;
    }

    /// <summary>Sends the message; the caller marks it (the relay does so inside the transaction that locked it).</summary>
    public async Task<bool> TrySendAsync(OutboxMessage message, CancellationToken cancellationToken)
    {
        try
        {
            await publisher.SendAsync(message.ToOutgoing(), cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            LogPublishFailed(logger, ex, message.Id, message.Destination);
            return false;
        }
    }

    [LoggerMessage(LogLevel.Warning, "Publishing outbox message {OutboxId} to {Destination} failed; the relay will retry it")]
    private static partial void LogPublishFailed(ILogger logger, Exception exception, long outboxId, string destination);

    [LoggerMessage(LogLevel.Warning, "Outbox message {OutboxId} could not be marked (sent: {Sent}); the relay will take care of it")]
    private static partial void LogMarkFailed(ILogger logger, Exception exception, long outboxId, bool sent);
}
