using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MySqlConnector;

namespace OrderPipeline.AppHost.MySql;

/// <summary>
/// The database's "reset" command (<see cref="MySqlBuilderExtensions.WithResetCommand"/>): drop the database, create
/// it empty, then run the migration step again and wait for it.
/// </summary>
internal static class DatabaseReset
{
    public const string CommandName = "reset-database";

    private static readonly TimeSpan MigrationTimeout = TimeSpan.FromMinutes(2);

    public static async Task<ExecuteCommandResult> RunAsync(MySqlDatabaseResource database, IResource migrations, ExecuteCommandContext context)
    {
        var services = context.Services;
        var logger = services.GetRequiredService<ResourceLoggerService>().GetLogger(database);
        var notifications = services.GetRequiredService<ResourceNotificationService>();
        var cancellationToken = context.CancellationToken;

        // Signed in to the server, not to the database, so that a database an earlier reset left dropped is created
        // again. The application user's grants on the database's name outlive the database itself.
        var connectionString = await database.Parent.ConnectionStringExpression.GetValueAsync(cancellationToken).ConfigureAwait(false);
        await using (var connection = new MySqlConnection(connectionString))
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            var name = new MySqlCommandBuilder().QuoteIdentifier(database.DatabaseName);
            await using var command = new MySqlCommand(
                $"DROP DATABASE IF EXISTS {name}; CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;", connection);
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        logger.LogWarning("Database {Database} dropped and created empty; running {Migrations}", database.DatabaseName, migrations.Name);

        // DCP's timestamps are coarser than the clock, so the new run is told from the last by its start time changing.
        var lastRun = (await notifications.WaitForResourceAsync(migrations.Name, _ => true, cancellationToken).ConfigureAwait(false)).Snapshot.StartTimeStamp;
        var started = await services.GetRequiredService<ResourceCommandService>()
            .ExecuteCommandAsync(migrations, KnownResourceCommands.StartCommand, cancellationToken).ConfigureAwait(false);
        if (!started.Success)
        {
            return CommandResults.Failure($"The database is empty, and {migrations.Name} did not start: {started.Message}");
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(MigrationTimeout);
        var finished = await notifications.WaitForResourceAsync(migrations.Name,
            e => e.Snapshot.StartTimeStamp != lastRun && KnownResourceStates.TerminalStates.Contains(e.Snapshot.State?.Text),
            timeout.Token).ConfigureAwait(false);
        return finished.Snapshot.ExitCode == 0
            ? CommandResults.Success()
            : CommandResults.Failure($"{migrations.Name} exited with code {finished.Snapshot.ExitCode}: see its console.");
    }
}
