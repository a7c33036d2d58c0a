using System.Reflection;
using MySqlConnector;

namespace OrderPipeline.Processor.Database;

/// <summary>
/// Applies db/schema.sql and db/seed.sql, both re-runnable. The local AppHost calls this when it creates the
/// database; in AWS the Processor calls it at start (Database:ApplyMigrationsOnStartup).
/// </summary>
public static class DatabaseMigrator
{
    public static async Task ApplyAsync(MySqlConnection connection, CancellationToken cancellationToken)
    {
        foreach (var script in new[] { "db.schema.sql", "db.seed.sql" })
        {
            await using var command = new MySqlCommand(ReadScript(script), connection);
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public static async Task ApplyAsync(string connectionString, CancellationToken cancellationToken)
    {
        await using var connection = new MySqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        await ApplyAsync(connection, cancellationToken).ConfigureAwait(false);
    }

    private static string ReadScript(string name)
    {
        using var stream = typeof(DatabaseMigrator).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"The embedded script {name} is missing from {Assembly.GetExecutingAssembly().GetName().Name}.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}

internal sealed partial class MigrateOnStartup(MySqlDataSource dataSource, ILogger<MigrateOnStartup> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await DatabaseMigrator.ApplyAsync(connection, cancellationToken);
        LogApplied(logger);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(LogLevel.Information, "Database schema and seed applied")]
    private static partial void LogApplied(ILogger logger);
}
