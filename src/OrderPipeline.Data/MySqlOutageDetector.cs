using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using MySqlConnector;
using OrderPipeline.Outages;

namespace OrderPipeline.Data;

/// <summary>
/// MySQL's side of <see cref="IOutageDetector"/>: which errors say the database is away rather than that a message's
/// data is wrong, and a probe that asks for a write, since a server that fails over (or is put read-only) still answers
/// reads and so still passes the health check.
/// </summary>
/// <param name="probeSql">A write that changes nothing, e.g. <c>UPDATE t SET c = c WHERE FALSE</c>: a read-only server
/// refuses it (1290) although it matches no row, and it takes no row lock, so it is never stuck behind one.</param>
public sealed partial class MySqlOutageDetector(MySqlDataSource dataSource, string probeSql, TimeSpan probeTimeout, ILogger<MySqlOutageDetector> logger)
    : IOutageDetector
{
    // The same numbers on MySQL 8 and MariaDB 10.11 unless said otherwise.
    private static readonly HashSet<int> OutageErrors =
    [
        1040, // too many connections
        1203, // the user has more than max_user_connections
        1226, // a user resource limit (max_queries_per_hour, ...) is used up
        1205, // lock wait timeout: reaches a handler only after the order transaction's own retries
        1213, // deadlock: likewise
        1290, // --read-only / --super-read-only, as a server is during a failover (MariaDB too)
        1836, // MySQL: the server is in read-only mode
        1792, // MySQL: a write in a read-only transaction (an RDS reader endpoint)
        1053, // server shutdown in progress
        1152, // aborted connection
        1158, 1159, 1160, 1161, // network read/write errors and timeouts
        1927, // MariaDB: connection killed
        4031, // MySQL: disconnected by the server for inactivity
        1317, // query interrupted (KILL QUERY, a server stopping)
        1045, // access denied: credentials being rotated, or the user not yet replicated to a new primary
        1042, // cannot resolve the host
    ];

    public bool IsOutage(Exception exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            switch (current)
            {
                case MySqlException mysql when IsOutageError(mysql):
                case TimeoutException or SocketException or IOException:
                    return true;
                case AggregateException aggregate when aggregate.InnerExceptions.Any(IsOutage):
                    return true;
            }
        }
        return false;
    }

    /// <summary>
    /// A server error meaning unavailable, or a client-side one: MySqlConnector reports connection failures, a server
    /// that went away and a command that timed out (a hung server) as 1042 or in the 2000 range or as its own codes.
    /// </summary>
    internal static bool IsOutageError(MySqlException exception) =>
        OutageErrors.Contains(exception.Number)
        || exception.Number is >= 2000 and < 3000
        || exception.ErrorCode is MySqlErrorCode.UnableToConnectToHost or MySqlErrorCode.CommandTimeoutExpired;

    /// <summary>Only the numbers: for the tests, since MySqlException cannot be made outside MySqlConnector.</summary>
    internal static bool IsOutageErrorNumber(int number) => OutageErrors.Contains(number) || number is >= 2000 and < 3000;

    public async Task<bool> ProbeAsync(CancellationToken cancellationToken)
    {
        // Short: a hung server counts as down, and the prober must not wait on it for a connection timeout.
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(probeTimeout);
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync(timeout.Token).ConfigureAwait(false);
            await using var transaction = await connection.BeginTransactionAsync(timeout.Token).ConfigureAwait(false);
            await using var command = new MySqlCommand(probeSql, connection, transaction)
            {
                CommandTimeout = Math.Max(1, (int)Math.Ceiling(probeTimeout.TotalSeconds)),
            };
            await command.ExecuteNonQueryAsync(timeout.Token).ConfigureAwait(false);
            await transaction.RollbackAsync(timeout.Token).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            LogProbeFailed(logger, ex.Message);
            return false;
        }
    }

    [LoggerMessage(LogLevel.Information, "The database does not take writes yet: {Reason}")]
    private static partial void LogProbeFailed(ILogger logger, string reason);
}
