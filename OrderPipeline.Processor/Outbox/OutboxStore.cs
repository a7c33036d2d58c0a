using Dapper;
using MySqlConnector;

namespace OrderPipeline.Processor.Outbox;

/// <summary>The SQL of the outbox table, in one place for the writer, the publisher and the relay.</summary>
public static class OutboxStore
{
    public sealed record NewMessage(string MessageId, string Destination, string EventType, string Payload, string? TraceParent, string? TraceState, DateTime CreatedAt);

    /// <summary>Column limits, in characters as MySQL counts them (db/schema.sql).</summary>
    public const int MaxDestinationLength = 100;
    public const int MaxTraceParentLength = 55;
    public const int MaxTraceStateLength = 512;

    private const string Columns = "id AS Id, destination AS Destination, event_type AS EventType, payload AS Payload, traceparent AS TraceParent, tracestate AS TraceState";

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

    /// <summary>
    /// Locks a batch of unpublished messages older than the grace period; rows another relay holds are skipped,
    /// so several Processor instances share the backlog instead of publishing it twice.
    /// </summary>
    public static async Task<IReadOnlyList<OutboxMessage>> LockUnpublishedAsync(
        MySqlConnection connection, MySqlTransaction transaction, DateTime olderThan, int limit, CancellationToken cancellationToken) =>
        [.. await connection.QueryAsync<OutboxMessage>(new CommandDefinition(
            $"SELECT {Columns} FROM outbox WHERE published_at IS NULL AND created_at < @OlderThan ORDER BY id LIMIT @Limit FOR UPDATE SKIP LOCKED",
            new { OlderThan = olderThan, Limit = limit }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false)];

    public static Task MarkPublishedAsync(MySqlConnection connection, MySqlTransaction? transaction, long id, DateTime publishedAt, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition(
            "UPDATE outbox SET published_at = @PublishedAt, attempts = attempts + 1 WHERE id = @Id AND published_at IS NULL",
            new { Id = id, PublishedAt = publishedAt }, transaction, cancellationToken: cancellationToken));

    public static Task MarkFailedAttemptAsync(MySqlConnection connection, MySqlTransaction? transaction, long id, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition(
            "UPDATE outbox SET attempts = attempts + 1 WHERE id = @Id",
            new { Id = id }, transaction, cancellationToken: cancellationToken));
}
