using Dapper;
using Microsoft.Extensions.Options;
using MySqlConnector;

namespace OrderPipeline.Api.Idempotency;

/// <summary>
/// The table <c>idempotency_keys</c>: which order each (customer, key) names and for which request, for
/// <see cref="IdempotencyOptions.KeyRetention"/> after the key's first use. The Api's only write to the database.
/// SQL that runs on MySQL 8.0/8.4 and MariaDB 10.11 alike (no RETURNING, no row alias).
/// </summary>
public sealed partial class IdempotencyKeyStore(
    MySqlDataSource dataSource,
    IOptions<IdempotencyOptions> options,
    TimeProvider clock,
    ILogger<IdempotencyKeyStore> logger)
{
    private const int Attempts = 3;

    private sealed record ClaimedRow(string OrderId, byte[] RequestFingerprint);

    /// <summary>
    /// Remembers the key with <paramref name="candidateOrderId"/> unless it is already remembered (and not expired),
    /// and says which order it names. Atomic: of two concurrent first uses, one issues the id and the other sees it.
    /// </summary>
    public async Task<IdempotencyKeyClaim> ClaimAsync(
        string customerId, string idempotencyKey, byte[] fingerprint, string candidateOrderId, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Value.DatabaseTimeout);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await TryClaimAsync(customerId, idempotencyKey, fingerprint, candidateOrderId, timeout.Token);
            }
            catch (MySqlException ex) when (ex.ErrorCode is MySqlErrorCode.LockDeadlock or MySqlErrorCode.LockWaitTimeout && attempt < Attempts)
            {
                // Concurrent first uses of one key can deadlock on its index entry (InnoDB's duplicate-key locking);
                // the transaction was rolled back, so trying again is safe and then finds the winner's row.
                LogClaimRetried(logger, ex.ErrorCode, attempt);
            }
        }
    }

    /// <summary>Whether an order id was issued for a key that is still remembered: accepted, maybe not recorded yet.</summary>
    public async Task<bool> IsRememberedAsync(string orderId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COUNT(*) FROM idempotency_keys WHERE order_id = @OrderId AND created_at >= @ExpiredBefore",
            new { OrderId = orderId, ExpiredBefore = ExpiredBefore() }, cancellationToken: cancellationToken)) > 0;
    }

    private async Task<IdempotencyKeyClaim> TryClaimAsync(
        string customerId, string idempotencyKey, byte[] fingerprint, string candidateOrderId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var parameters = new
        {
            CustomerId = customerId,
            IdempotencyKey = idempotencyKey,
            Fingerprint = fingerprint,
            OrderId = candidateOrderId,
            Now = clock.GetUtcNow().UtcDateTime,
            ExpiredBefore = ExpiredBefore(),
        };
        // A new key is inserted; a remembered one is left as it is; an expired one is taken over by this request (it
        // starts a new order), whether or not the cleanup has deleted it yet. The assignments run left to right and
        // each sees the ones before it, so created_at, which the others test, must come last.
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO idempotency_keys (customer_id, idempotency_key, request_fingerprint, order_id, created_at)
            VALUES (@CustomerId, @IdempotencyKey, @Fingerprint, @OrderId, @Now)
            ON DUPLICATE KEY UPDATE
                request_fingerprint = IF(created_at < @ExpiredBefore, VALUES(request_fingerprint), request_fingerprint),
                order_id            = IF(created_at < @ExpiredBefore, VALUES(order_id), order_id),
                created_at          = IF(created_at < @ExpiredBefore, VALUES(created_at), created_at)
            """, parameters, transaction, cancellationToken: cancellationToken));
        // Read in the same transaction: the upsert holds the row's lock, so what is read is what it left.
        var row = await connection.QuerySingleAsync<ClaimedRow>(new CommandDefinition(
            """
            SELECT order_id AS OrderId, request_fingerprint AS RequestFingerprint
            FROM idempotency_keys WHERE customer_id = @CustomerId AND idempotency_key = @IdempotencyKey
            """, parameters, transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        return new IdempotencyKeyClaim(
            row.OrderId,
            SameRequest: row.RequestFingerprint.AsSpan().SequenceEqual(fingerprint),
            FirstUse: string.Equals(row.OrderId, candidateOrderId, StringComparison.Ordinal));
    }

    private DateTime ExpiredBefore() => (clock.GetUtcNow() - options.Value.KeyRetention).UtcDateTime;

    [LoggerMessage(LogLevel.Warning, "Claiming an Idempotency-Key hit {ErrorCode} (attempt {Attempt}); trying again")]
    private static partial void LogClaimRetried(ILogger logger, MySqlErrorCode errorCode, int attempt);
}
