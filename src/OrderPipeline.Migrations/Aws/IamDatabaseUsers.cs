using Dapper;
using MySqlConnector;

namespace OrderPipeline.Migrations.Aws;

/// <summary>
/// Creates the services' IAM-authenticated database users and their grants (Aws/iam-database-users.sql), in AWS only:
/// the migration step runs it after the migrations when <see cref="MigrationOptions.CreateIamDatabaseUsers"/> is on.
/// </summary>
public static partial class IamDatabaseUsers
{
    internal const string Resource = "aws.iam-database-users.sql";

    /// <summary>The statements of the embedded script, comments left out, in order.</summary>
    public static IReadOnlyList<string> Statements() => Split(MigrationScript.ReadResource(Resource));

    internal static IReadOnlyList<string> Split(string script)
    {
        var statements = new List<string>();
        var current = new List<string>();
        foreach (var line in script.ReplaceLineEndings("\n").Split('\n'))
        {
            var text = line.Trim();
            if (text.Length == 0 || text.StartsWith("--", StringComparison.Ordinal))
            {
                continue;
            }
            current.Add(text);
            if (text.EndsWith(';'))
            {
                statements.Add(string.Join(' ', current).TrimEnd(';'));
                current.Clear();
            }
        }
        return current.Count == 0
            ? statements
            : throw new InvalidOperationException($"{Resource} ends with a statement without its semicolon: {string.Join(' ', current)}");
    }

    /// <returns>How many statements ran (a grant on a table that does not exist yet is skipped, see below).</returns>
    public static async Task<int> ApplyAsync(MySqlConnection connection, ILogger logger, CancellationToken cancellationToken)
    {
        var applied = 0;
        foreach (var statement in Statements())
        {
            try
            {
                await connection.ExecuteAsync(new CommandDefinition(statement, cancellationToken: cancellationToken)).ConfigureAwait(false);
                applied++;
            }
            catch (MySqlException ex) when (ex.ErrorCode == MySqlErrorCode.NoSuchTable && statement.StartsWith("GRANT", StringComparison.OrdinalIgnoreCase))
            {
                // A grant for a table a later migration adds (this version's code may run before that migration
                // exists): it is granted by the first deployment after the table appears, as this runs every time.
                LogGrantDeferred(logger, statement);
            }
        }
        LogApplied(logger, applied);
        return applied;
    }

    [LoggerMessage(LogLevel.Information, "Applied the IAM database users and their grants ({Count} statements)")]
    private static partial void LogApplied(ILogger logger, int count);

    [LoggerMessage(LogLevel.Warning, "Skipped a grant on a table that does not exist yet: {Statement}")]
    private static partial void LogGrantDeferred(ILogger logger, string statement);
}
