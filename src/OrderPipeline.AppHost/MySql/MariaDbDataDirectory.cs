using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.Logging;

namespace OrderPipeline.AppHost.MySql;

/// <summary>
/// Prepares a <see cref="MySqlServerResource"/>'s home before each start: stops a server an earlier AppHost left
/// behind, initialises the data directory once, and writes the init file that brings the application user (its
/// password is the Aspire parameter's current value) and the databases in line with the model.
/// </summary>
internal static class MariaDbDataDirectory
{
    public static async Task PrepareAsync(MySqlServerResource server, bool reset, ILogger logger, CancellationToken cancellationToken)
    {
        StopLeftoverServer(server, logger);
        if (reset && Directory.Exists(server.Home))
        {
            logger.LogInformation("Starting from an empty data directory ({Home})", server.Home);
            Directory.Delete(server.Home, recursive: true);
        }
        Directory.CreateDirectory(server.Home);
        if (!OperatingSystem.IsWindows())
        {
            // The data and the init file are the database's secrets: for this user's eyes only.
            File.SetUnixFileMode(server.Home, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        if (!Directory.Exists(Path.Combine(server.DataDirectory, "mysql")))
        {
            await InstallAsync(server, logger, cancellationToken).ConfigureAwait(false);
        }
        var password = await server.PasswordParameter.GetValueAsync(cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"The parameter {server.PasswordParameter.Name} has no value.");
        await File.WriteAllTextAsync(server.InitFilePath, InitSql(server, password), cancellationToken).ConfigureAwait(false);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(server.InitFilePath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }

    /// <summary>
    /// Run by the server itself at every start, before it takes connections. Root signs in only through the socket
    /// (as the operating-system user root), so no root password exists anywhere.
    /// </summary>
    private static string InitSql(MySqlServerResource server, string password)
    {
        var user = $"'{MySqlServerResource.UserName}'@'127.0.0.1'";
        var secret = Quote(password);
        var sql = new StringBuilder()
            .AppendLine($"CREATE USER IF NOT EXISTS {user} IDENTIFIED BY {secret};")
            .AppendLine($"ALTER USER {user} IDENTIFIED BY {secret};");
        foreach (var database in server.DatabaseResources)
        {
            var name = QuoteIdentifier(database.DatabaseName);
            sql.AppendLine($"CREATE DATABASE IF NOT EXISTS {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;")
               .AppendLine($"GRANT ALL PRIVILEGES ON {name}.* TO {user};");
        }
        return sql.ToString();
    }

    private static async Task InstallAsync(MySqlServerResource server, ILogger logger, CancellationToken cancellationToken)
    {
        var install = MariaDb.Find("mariadb-install-db")
            ?? throw new DistributedApplicationException("mariadb-install-db is missing: run 'bash eng/setup.sh' (or 'apt-get install -y mariadb-server').");
        logger.LogInformation("Initialising a new data directory in {DataDirectory}", server.DataDirectory);
        var start = new ProcessStartInfo(install)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in (string[])["--no-defaults", $"--datadir={server.DataDirectory}", "--skip-test-db",
                     "--auth-root-authentication-method=socket", .. MariaDb.UserArguments])
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {install}.");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var errors = await process.StandardError.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
        await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        if (process.ExitCode != 0)
        {
            throw new DistributedApplicationException($"mariadb-install-db failed ({process.ExitCode}): {errors}{await output.ConfigureAwait(false)}");
        }
    }

    /// <summary>A server left running by an AppHost that was killed would hold the data directory: stop it.</summary>
    private static void StopLeftoverServer(MySqlServerResource server, ILogger logger)
    {
        if (!File.Exists(server.PidFilePath) || !int.TryParse(File.ReadAllText(server.PidFilePath).Trim(), out var pid))
        {
            return;
        }
        // A pid is reused; only a process whose command line names this data directory is ours.
        var cmdline = $"/proc/{pid}/cmdline";
        if (!File.Exists(cmdline) || !File.ReadAllText(cmdline).Contains(server.DataDirectory, StringComparison.Ordinal))
        {
            return;
        }
        logger.LogWarning("Stopping a server left running by an earlier AppHost (pid {Pid})", pid);
        try
        {
            using var leftover = Process.GetProcessById(pid);
            leftover.Kill();
            leftover.WaitForExit(10_000);
        }
        catch (ArgumentException)
        {
            // Gone already.
        }
    }

    private static string Quote(string value) => "'" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "''", StringComparison.Ordinal) + "'";

    private static string QuoteIdentifier(string value) => "`" + value.Replace("`", "``", StringComparison.Ordinal) + "`";
}
