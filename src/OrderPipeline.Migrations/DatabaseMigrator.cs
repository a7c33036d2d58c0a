using Dapper;
using Microsoft.Extensions.Options;
using MySqlConnector;

namespace OrderPipeline.Migrations;

/// <summary>
/// Applies each versioned migration (db/migrations) that the database has not recorded yet, in order, and then the
/// sample data when asked for. One run at a time: a named lock keeps two deployments from migrating at once.
/// </summary>
public sealed partial class DatabaseMigrator(MySqlDataSource dataSource, IOptions<MigrationOptions> options, ILogger<DatabaseMigrator> logger)
{
    private const string LockName = "orderpipeline.migrations";
    private const string SeedResource = "db.seed.sql";

    /// <returns>The migrations this run applied (none when the database was up to date).</returns>
    public async Task<IReadOnlyList<string>> ApplyAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        // GET_LOCK is held by the session and released when it ends, so a crashed run never leaves it behind.
        var locked = await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
            "SELECT GET_LOCK(@Name, @Timeout)", new { Name = LockName, Timeout = settings.LockTimeoutSeconds },
            cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (locked != 1)
        {
            throw new InvalidOperationException($"Another migration run held the lock for {settings.LockTimeoutSeconds} s; try again when it has finished.");
        }

        await connection.ExecuteAsync(new CommandDefinition(
            """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version    INT          NOT NULL,
                name       VARCHAR(200) NOT NULL,
                checksum   CHAR(64)     NOT NULL,
                applied_at DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
                PRIMARY KEY (version)
            ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
            """, cancellationToken: cancellationToken)).ConfigureAwait(false);
        var recorded = (await connection.QueryAsync<(int Version, string Name, string Checksum)>(new CommandDefinition(
            "SELECT version, name, checksum FROM schema_migrations", cancellationToken: cancellationToken)).ConfigureAwait(false))
            .ToDictionary(m => m.Version);

        var scripts = MigrationScript.Embedded();
        var applied = new List<string>();
        foreach (var script in scripts)
        {
            if (recorded.TryGetValue(script.Version, out var done))
            {
                if (!string.Equals(done.Checksum, script.Checksum, StringComparison.OrdinalIgnoreCase))
                {
                    throw new InvalidOperationException(
                        $"Migration {script.Version:D4}_{script.Name} was changed after it was applied; add a new migration instead of editing it.");
                }
                continue;
            }
            await connection.ExecuteAsync(new CommandDefinition(script.Sql, cancellationToken: cancellationToken)).ConfigureAwait(false);
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO schema_migrations (version, name, checksum) VALUES (@Version, @Name, @Checksum)",
                new { script.Version, script.Name, script.Checksum }, cancellationToken: cancellationToken)).ConfigureAwait(false);
            applied.Add($"{script.Version:D4}_{script.Name}");
            LogApplied(logger, script.Version, script.Name);
        }
        foreach (var unknown in recorded.Keys.Except(scripts.Select(s => s.Version)))
        {
            // A newer version of the code migrated this database; this one can still run on it (migrations only add).
            LogUnknownMigration(logger, unknown, recorded[unknown].Name);
        }

        if (settings.SeedSampleData)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                MigrationScript.ReadResource(SeedResource), cancellationToken: cancellationToken)).ConfigureAwait(false);
            LogSeeded(logger);
        }
        if (settings.CreateIamDatabaseUsers)
        {
            await Aws.IamDatabaseUsers.ApplyAsync(connection, logger, cancellationToken).ConfigureAwait(false);
        }
        if (applied.Count == 0)
        {
            LogUpToDate(logger, scripts.Count == 0 ? 0 : scripts[^1].Version);
        }
        return applied;
    }

    [LoggerMessage(LogLevel.Information, "Applied migration {Version:D4}_{Name}")]
    private static partial void LogApplied(ILogger logger, int version, string name);

    [LoggerMessage(LogLevel.Information, "The database is up to date (migration {Version:D4})")]
    private static partial void LogUpToDate(ILogger logger, int version);

    [LoggerMessage(LogLevel.Information, "Applied the sample data (db/seed.sql)")]
    private static partial void LogSeeded(ILogger logger);

    [LoggerMessage(LogLevel.Warning, "The database has migration {Version:D4}_{Name}, which this version does not know: it was migrated by a newer version")]
    private static partial void LogUnknownMigration(ILogger logger, int version, string name);
}
