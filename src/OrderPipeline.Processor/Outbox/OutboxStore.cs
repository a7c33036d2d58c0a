using Dapper;
using Microsoft.Extensions.Hosting;
using MySqlConnector;
using OrderPipeline.Data;

namespace OrderPipeline.Processor.Outbox;

/// <summary>
/// The SQL of the outbox table for the order transaction that writes a row and the handler that publishes it (the
/// relay's is in <see cref="OutboxClaims"/>).
/// </summary>
public static class OutboxStore
{
    public sealed record NewMessage(
        string MessageId, string Destination, string EventType, string Payload, string? TraceParent, string? TraceState,
        DateTime CreatedAt);

    /// <summary>Column limits, in characters as MySQL counts them (db/migrations).</summary>
    public const int MaxDestinationLength = 1024;
    public const int MaxTraceParentLength = 55;
    public const int MaxTraceStateLength = 512;

    internal const string Columns = "id AS Id, destination AS Destination, event_type AS EventType, payload AS Payload, "
        + "traceparent AS TraceParent, tracestate AS TraceState, attempts AS Attempts";

    /// <summary>
    /// The statement that adds messages inside the caller's transaction, its values added to
    /// <paramref name="parameters"/>; the order transaction sends it with its other writes in one command. The trace
    /// context comes from outside (a client's <c>traceparent</c>/<c>tracestate</c> headers, a message's attributes):
    /// it is cut to what its columns hold, so it can never make the order transaction fail.
    /// </summary>
    public static string Insert(IReadOnlyList<NewMessage> messages, DynamicParameters parameters)
    {
        var rows = SqlRows.Values(messages, "(@MessageId{0}, @Destination{0}, @EventType{0}, @Payload{0}, "
            + "@TraceParent{0}, @TraceState{0}, @CreatedAt{0})", parameters, m => [
            ("MessageId", m.MessageId),
            ("Destination", m.Destination),
            ("EventType", m.EventType),
            ("Payload", m.Payload),
            ("TraceParent", TraceContext.BoundTraceParent(m.TraceParent)),
            ("TraceState", TraceContext.BoundTraceState(m.TraceState)),
            ("CreatedAt", m.CreatedAt),
        ]);
        return $"INSERT INTO outbox (message_id, destination, event_type, payload, traceparent, tracestate, created_at) VALUES {rows}";
    }

    /// <summary>The query of the unpublished rows of these message ids; read its result with <see cref="ReadUnpublishedAsync"/>.</summary>
    public static string SelectUnpublished(IReadOnlyCollection<string> messageIds, DynamicParameters parameters)
    {
        parameters.Add("MessageIds", messageIds.ToArray());
        return $"SELECT message_id AS MessageId, {Columns} FROM outbox WHERE message_id IN @MessageIds AND published_at IS NULL";
    }

    /// <summary>The rows <see cref="SelectUnpublished"/> found, each with its message id.</summary>
    public static async Task<IReadOnlyList<(string MessageId, OutboxMessage Message)>> ReadUnpublishedAsync(SqlMapper.GridReader results) =>
        [.. (await results.ReadAsync<OutboxRow>().ConfigureAwait(false))
            .Select(r => (r.MessageId, new OutboxMessage(r.Id, r.Destination, r.EventType, r.Payload, r.TraceParent, r.TraceState, r.Attempts)))];

    private sealed record OutboxRow(
        string MessageId, long Id, string Destination, string EventType, string Payload, string? TraceParent, string? TraceState,
        int Attempts);

    /// <summary>
    /// Marks sent rows published in one statement, whoever holds them now: they reached the queue either way (if a
    /// relay's lease had run out and another relay claimed them, it may send them again; the Notifier ignores the repeat).
    /// </summary>
    public static Task MarkPublishedAsync(
        MySqlConnection connection, IReadOnlyCollection<long> ids, DateTime publishedAt, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE outbox SET published_at = @PublishedAt, attempts = attempts + 1, claimed_by = NULL, claimed_until = NULL
            WHERE id IN @Ids AND published_at IS NULL
            """,
            new { Ids = ids.ToArray(), PublishedAt = publishedAt }, cancellationToken: cancellationToken));

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
