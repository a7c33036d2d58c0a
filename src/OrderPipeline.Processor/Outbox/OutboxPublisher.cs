using Microsoft.Extensions.Options;
using MySqlConnector;
using OrderPipeline.Messaging.Publishing;

namespace OrderPipeline.Processor.Outbox;

/// <summary>Publishes the rows an order transaction just committed. A row that could not be sent stays unpublished for the relay.</summary>
public sealed partial class OutboxPublisher(
    IEventPublisher publisher,
    MySqlDataSource dataSource,
    IOptions<OutboxOptions> options,
    TimeProvider clock,
    ILogger<OutboxPublisher> logger)
{
    /// <summary>
    /// Sends the messages in as few calls as SQS allows and marks the sent ones published in one statement (a failed
    /// one counts the failure and backs off). Used right after commit.
    /// </summary>
    /// <returns>How many reached the queue.</returns>
    public async Task<int> TryPublishAsync(IReadOnlyList<OutboxMessage> messages, CancellationToken cancellationToken)
    {
        if (messages.Count == 0)
        {
            return 0;
        }
        var results = await publisher.SendBatchAsync([.. messages.Select(m => m.ToOutgoing())], cancellationToken).ConfigureAwait(false);
        var sent = messages.Where((_, i) => results[i].Sent).Select(m => m.Id).ToList();
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            var now = clock.GetUtcNow().UtcDateTime;
            if (sent.Count > 0)
            {
                await OutboxStore.MarkPublishedAsync(connection, sent, now, cancellationToken).ConfigureAwait(false);
            }
            for (var i = 0; i < messages.Count; i++)
            {
                if (results[i].Error is { } error)
                {
                    LogPublishFailed(logger, messages[i].Id, messages[i].Destination, error);
                    await OutboxStore.MarkFailedAttemptAsync(
                        connection, messages[i].Id, error, now + OutboxBackoff.Delay(messages[i].Attempts + 1, options.Value),
                        cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (MySqlException ex)
        {
            // Harmless either way: a published row left unmarked is published again by the relay (the Notifier
            // ignores the repeat); an unsent one is the relay's to send anyway.
            LogMarkFailed(logger, ex, messages.Count, sent.Count);
        }
        return sent.Count;
    }

    [LoggerMessage(LogLevel.Warning, "Publishing outbox message {OutboxId} to {Destination} failed ({Error}); the relay will retry it")]
    private static partial void LogPublishFailed(ILogger logger, long outboxId, string destination, string error);

    [LoggerMessage(LogLevel.Warning, "{Count} outbox messages could not be marked ({Sent} of them sent); the relay will take care of them")]
    private static partial void LogMarkFailed(ILogger logger, Exception exception, int count, int sent);
}
