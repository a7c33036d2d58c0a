using Dapper;
using MySqlConnector;

namespace OrderPipeline.Processor.Outbox;

/// <summary>The SQL of the outbox table for the order transaction that writes a row and the handler that publishes it (the relay's is in <see cref="OutboxClaims"/>).</summary>
public static class OutboxStore
{
    public sealed record NewMessage(string MessageId, string Destination, string EventType, string Payload, string? TraceParent, string? TraceState, DateTime CreatedAt);

    /// <summary>Column limits, in characters as MySQL counts them (db/migrations).</summary>
    public const int MaxDestinationLength = 100;
    public const int MaxTraceParentLength = 55;
    public const int MaxTraceStateLength = 512;

    internal const string Columns = "id AS Id, destination AS Destination, event_type AS EventType, payload AS Payload, traceparent AS TraceParent, tracestate AS TraceState, attempts AS Attempts";

    /// <summary>
    /// Adds a message inside the caller's transaction. The trace context comes from outside (a client's
    /// <c>traceparent</c>/<c>tracestate</c> headers, a message's attributes): it is cut to what its columns hold,
    /// so it can never make the order transaction fail.
    /// </summary>
    public static async Task<OutboxMessage> AddAsync(MySqlConnection connection, MySqlTransaction transaction, NewMessage message, CancellationToken cancellationToken)
    {
        message = message with { TraceParent = TraceContext.BoundTraceParent(message.TraceParent), TraceState = TraceContext.BoundTraceState(message.TraceState) };
        var id = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            """
            INSERT INTO outbox (message_id, destination, event_type, payload, traceparent, tracestate, created_at)
            VALUES (@MessageId, @Destination, @EventType, @Payload, @TraceParent, @TraceState, @CreatedAt);
            SELECT LAST_INSERT_ID();
            """,
            message, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return new OutboxMessage(id, message.Destination, message.EventType, message.Payload, message.TraceParent, message.TraceState);
    }

    public static Task<OutboxMessage?> FindUnpublishedAsync(MySqlConnection connection, MySqlTransaction? transaction, string messageId, CancellationToken cancellationToken) =>
        connection.QuerySingleOrDefaultAsync<OutboxMessage>(new CommandDefinition(
            $"SELECT {Columns} FROM outbox WHERE message_id = @MessageId AND published_at IS NULL",
            new { MessageId = messageId }, transaction, cancellationToken: cancellationToken));

    public static Task MarkPublishedAsync(MySqlConnection connection, long id, DateTime publishedAt, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition(
            "UPDATE outbox SET published_at = @PublishedAt, attempts = attempts + 1 WHERE id = @Id AND published_at IS NULL",
            new { Id = id, PublishedAt = publishedAt }, cancellationToken: cancellationToken));

    /// <summary>
    /// Counts a failed send and backs the row off. Only while nobody claimed it: a relay that did is sending it and
    /// records its own outcome.
    /// </summary>
    public static Task MarkFailedAttemptAsync(MySqlConnection connection, long id, string error, DateTime nextAttemptAt, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE outbox SET attempts = attempts + 1, last_error = @Error, next_attempt_at = @NextAttemptAt
            WHERE id = @Id AND published_at IS NULL AND claimed_by IS NULL
            """,
            new { Id = id, Error = ErrorText.Cut(error), NextAttemptAt = nextAttemptAt }, cancellationToken: cancellationToken));
}
