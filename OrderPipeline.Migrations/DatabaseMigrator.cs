using MySqlConnector;

namespace OrderPipeline.Migrations;

/// <summary>Applies db/schema.sql and then db/seed.sql; both are written to be run again and again.</summary>
public sealed partial class DatabaseMigrator(MySqlDataSource dataSource, ILogger<DatabaseMigrator> logger)
{
    private static readonly string[] Scripts = ["db.schema.sql", "db.seed.sql"];

    public async Task ApplyAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        foreach (var script in Scripts)
        {
            await using var command = new MySqlCommand(ReadScript(script), connection);
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            LogApplied(logger, script);
        }
    }

    private static string ReadScript(string name)
    {
        using var stream = typeof(DatabaseMigrator).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"The embedded script {name} is missing.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    [LoggerMessage(LogLevel.Information, "Applied {Script}")]
    private static partial void LogApplied(ILogger logger, string script);
}
