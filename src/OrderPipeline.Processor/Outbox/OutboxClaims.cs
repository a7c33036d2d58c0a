using System.Data;
using Dapper;
using MySqlConnector;

namespace OrderPipeline.Processor.Outbox;

/// <summary>
/// The relay's SQL. Rows are claimed with a lease in a transaction that lasts two statements and holds no lock while
/// anything is sent; the outcome of the sends is written afterwards, each in its own short statement.
/// </summary>
public sealed class OutboxClaims(MySqlDataSource dataSource)
{
    /// <summary>
    /// Claims up to <paramref name="limit"/> rows that are unpublished, due (past their backoff and the grace the
    /// handler has to publish its own row) and not leased, oldest first, for this claim's <paramref name="token"/>.
    /// </summary>
    public async Task<IReadOnlyList<OutboxMessage>> ClaimAsync(
        string token, DateTime now, DateTime createdBefore, DateTime leaseUntil, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        // READ COMMITTED takes no gap locks, so the order transaction's outbox insert never waits on this; SKIP LOCKED
        // passes over rows another relay is claiming this very moment (and the uncommitted rows of order transactions).
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken).ConfigureAwait(false);
        var rows = (await connection.QueryAsync<OutboxMessage>(new CommandDefinition(
            $"""
            SELECT {OutboxStore.Columns} FROM outbox
            WHERE published_at IS NULL
              AND (next_attempt_at IS NULL OR next_attempt_at <= @Now)
              AND (claimed_until IS NULL OR claimed_until <= @Now)
              AND created_at < @CreatedBefore
            ORDER BY id
            LIMIT @Limit
            FOR UPDATE SKIP LOCKED
            """,
            new { Now = now, CreatedBefore = createdBefore, Limit = limit }, transaction,
            cancellationToken: cancellationToken)).ConfigureAwait(false)).ToList();
        if (rows.Count > 0)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE outbox SET claimed_by = @Token, claimed_until = @LeaseUntil WHERE id IN @Ids",
                new { Token = token, LeaseUntil = leaseUntil, Ids = rows.Select(r => r.Id).ToArray() }, transaction,
                cancellationToken: cancellationToken)).ConfigureAwait(false);
        }
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return rows;
    }

    /// <summary>Marks sent rows published (see <see cref="OutboxStore.MarkPublishedAsync"/>).</summary>
    public async Task MarkPublishedAsync(IReadOnlyCollection<long> ids, DateTime publishedAt, CancellationToken cancellationToken)
    {
        if (ids.Count == 0)
        {
            return;
        }
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await OutboxStore.MarkPublishedAsync(connection, ids, publishedAt, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Counts a failed send, records why, backs the row off and gives up the lease; only while the claim is still ours.</summary>
    public async Task ReleaseFailedAsync(long id, string token, string error, DateTime nextAttemptAt, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE outbox
            SET attempts = attempts + 1, last_error = @Error, next_attempt_at = @NextAttemptAt, claimed_by = NULL, claimed_until = NULL
            WHERE id = @Id AND claimed_by = @Token AND published_at IS NULL
            """,
            new { Id = id, Token = token, Error = ErrorText.Cut(error), NextAttemptAt = nextAttemptAt },
            cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>When the oldest unpublished row was written; null when everything is published.</summary>
    public async Task<DateTime?> OldestUnpublishedAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        // Ids grow with time, so the first unpublished entry of the relay's index is the oldest row: one index seek.
        return await connection.QuerySingleOrDefaultAsync<DateTime?>(new CommandDefinition(
            "SELECT created_at FROM outbox WHERE published_at IS NULL ORDER BY id LIMIT 1", cancellationToken: cancellationToken)).ConfigureAwait(false);
    }
}
