using Microsoft.Extensions.Options;
using MySqlConnector;
using OrderPipeline.Messaging.Publishing;

namespace OrderPipeline.Processor.Outbox;

/// <summary>Publishes the row an order transaction just committed. A row that could not be sent stays unpublished for the relay.</summary>
public sealed partial class OutboxPublisher(
    IEventPublisher publisher,
    MySqlDataSource dataSource,
    IOptions<OutboxOptions> options,
    TimeProvider clock,
    ILogger<OutboxPublisher> logger)
{
    /// <summary>Sends the message and marks it published (or counts the failure and backs it off). Used right after commit.</summary>
    /// <returns>True when the message reached the queue.</returns>
    public async Task<bool> TryPublishAsync(OutboxMessage message, CancellationToken cancellationToken)
    {
        var error = await SendAsync(message, cancellationToken).ConfigureAwait(false);
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            var now = clock.GetUtcNow().UtcDateTime;
            await (error is null
                ? OutboxStore.MarkPublishedAsync(connection, message.Id, now, cancellationToken)
                : OutboxStore.MarkFailedAttemptAsync(connection, message.Id, error, now + OutboxBackoff.Delay(message.Attempts + 1, options.Value), cancellationToken)).ConfigureAwait(false);
        }
        catch (MySqlException ex)
        {
            // Harmless either way: a published row left unmarked is published again by the relay (the Notifier
            // ignores the repeat); an unsent one is the relay's to send anyway.
            LogMarkFailed(logger, ex, message.Id, error is null);
        }
        return error is null;
    }

    /// <summary>Sends the message without marking it.</summary>
    public async Task<bool> TrySendAsync(OutboxMessage message, CancellationToken cancellationToken) =>
        await SendAsync(message, cancellationToken).ConfigureAwait(false) is null;

    /// <returns>Why the message was not sent; null when it was.</returns>
    private async Task<string?> SendAsync(OutboxMessage message, CancellationToken cancellationToken)
    {
        try
        {
            await publisher.SendAsync(message.ToOutgoing(), cancellationToken).ConfigureAwait(false);
            return null;
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            LogPublishFailed(logger, ex, message.Id, message.Destination);
            return $"{ex.GetType().Name}: {ex.Message}";
        }
    }

    [LoggerMessage(LogLevel.Warning, "Publishing outbox message {OutboxId} to {Destination} failed; the relay will retry it")]
    private static partial void LogPublishFailed(ILogger logger, Exception exception, long outboxId, string destination);

    [LoggerMessage(LogLevel.Warning, "Outbox message {OutboxId} could not be marked (sent: {Sent}); the relay will take care of it")]
    private static partial void LogMarkFailed(ILogger logger, Exception exception, long outboxId, bool sent);
}
