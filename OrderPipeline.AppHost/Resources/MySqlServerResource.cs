using System.Security.Cryptography;
using System.Text.Json;
using MySqlConnector;
using OrderPipeline.AppHost.Hosting;

namespace OrderPipeline.AppHost.Resources;

/// <summary>
/// A private MariaDB server (Debian's mariadb-server, the local stand-in for RDS MySQL 8.0): its own data
/// directory, socket and loopback port, initialised on first run, with generated passwords kept beside the data.
/// </summary>
public sealed class MySqlServerResource(string name, AppHostOptions options) : ExecutableResource(name)
{
    // MySQL 8.0's defaults, so MariaDB refuses what RDS would refuse.
    private const string SqlMode = "ONLY_FULL_GROUP_BY,STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION";
    internal const string AppUser = "orderpipeline";

    private readonly List<MySqlDatabaseResource> _databases = [];
    private int _port;
    private Credentials? _credentials;

    public override string Type => "MySQL (MariaDB)";

    public string Home => Path.Combine(options.DataDirectory, "mysql");

    private string DataDirectory => Path.Combine(Home, "data");

    private string SocketPath => Path.Combine(Home, "mysqld.sock");

    private string CredentialsPath => Path.Combine(Home, "credentials.json");

    public MySqlDatabaseResource AddDatabase(string databaseName)
    {
        var database = new MySqlDatabaseResource(databaseName, this);
        _databases.Add(database);
        return database;
    }

    internal IReadOnlyList<MySqlDatabaseResource> Databases => _databases;

    internal string ConnectionStringFor(string database) => new MySqlConnectionStringBuilder
    {
        Server = "127.0.0.1",
        Port = (uint)_port,
        Database = database,
        UserID = AppUser,
        Password = _credentials?.AppPassword ?? throw new InvalidOperationException($"{Name} has not started."),
        // Enough for the Processor's concurrency and the tests' parallel clients.
        MaximumPoolSize = 50,
    }.ConnectionString;

    protected override Task<ProcessSpec> PrepareAsync(CancellationToken cancellationToken)
    {
        var server = Which("mariadbd", "/usr/sbin/mariadbd")
            ?? throw new PrerequisiteMissingException("MariaDB is not installed: run 'bash eng/setup.sh' (or 'apt-get install -y mariadb-server mariadb-client').");

        if (options.ResetData && Directory.Exists(Home))
        {
            StopLeftoverServer();
            Directory.Delete(Home, recursive: true);
        }
        Directory.CreateDirectory(Home);
        StopLeftoverServer();
        if (!File.Exists(Path.Combine(DataDirectory, "mysql", "db.opt")) && !Directory.Exists(Path.Combine(DataDirectory, "mysql")))
        {
            InitializeDataDirectory();
        }

        _port = options.PortFor(options.Configuration.GetValue("AppHost:MySqlPort", 3307));
        SetEndpoint("tcp", $"tcp://127.0.0.1:{_port}");
        return Task.FromResult(new ProcessSpec(server,
        [
            "--no-defaults", "--user=root",
            $"--datadir={DataDirectory}", $"--socket={SocketPath}", $"--pid-file={Path.Combine(Home, "mysqld.pid")}",
            $"--log-error={Path.Combine(Home, "error.log")}",
            "--bind-address=127.0.0.1", $"--port={_port}", "--skip-name-resolve",
            $"--sql-mode={SqlMode}", "--default-time-zone=+00:00",
            "--character-set-server=utf8mb4", "--collation-server=utf8mb4_unicode_ci",
            "--innodb-log-file-size=8M", "--max-connections=500",
        ], new Dictionary<string, string>(), Home));
    }

    protected override async Task<bool> IsHealthyAsync(CancellationToken cancellationToken)
    {
        await using var connection = new MySqlConnection(RootConnectionString());
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>First start: passwords for root and the application user. Every start: databases and their schema.</summary>
    protected override async Task InitializeAsync(CancellationToken cancellationToken)
    {
        _credentials = LoadCredentials();
        await using var connection = new MySqlConnection(RootConnectionString());
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        if (_credentials is null)
        {
            var created = new Credentials(NewPassword(), NewPassword());
            // DDL cannot take parameters; the passwords are hex we generated, so nothing can be injected.
            await ExecuteAsync(connection,
                $"CREATE USER IF NOT EXISTS '{AppUser}'@'127.0.0.1' IDENTIFIED BY '{created.AppPassword}';" +
                $"ALTER USER 'root'@'localhost' IDENTIFIED BY '{created.RootPassword}';",
                cancellationToken).ConfigureAwait(false);
            SaveCredentials(created);
            _credentials = created;
        }
        foreach (var database in _databases)
        {
            await ExecuteAsync(connection,
                $"CREATE DATABASE IF NOT EXISTS `{database.DatabaseName}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;" +
                $"GRANT ALL PRIVILEGES ON `{database.DatabaseName}`.* TO '{AppUser}'@'127.0.0.1';",
                cancellationToken).ConfigureAwait(false);
            await database.InitializeAsync(ConnectionStringFor(database.DatabaseName), cancellationToken).ConfigureAwait(false);
        }
    }

    private string RootConnectionString() => new MySqlConnectionStringBuilder
    {
        Server = SocketPath,
        ConnectionProtocol = MySqlConnectionProtocol.UnixSocket,
        UserID = "root",
        Password = (_credentials ?? LoadCredentials())?.RootPassword ?? "",
        Pooling = false,
        AllowUserVariables = true,
    }.ConnectionString;

    private void InitializeDataDirectory()
    {
        var install = Which("mariadb-install-db", "/usr/bin/mariadb-install-db")
            ?? throw new PrerequisiteMissingException("mariadb-install-db is missing: run 'bash eng/setup.sh' (or 'apt-get install -y mariadb-server').");
        Log.Write("initialising a new data directory", isSystem: true);
        using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(install)
        {
            ArgumentList = { "--no-defaults", "--user=root", $"--datadir={DataDirectory}", "--skip-test-db", "--auth-root-authentication-method=normal" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"mariadb-install-db failed ({process.ExitCode}): {errors}{output.Result}");
        }
        File.Delete(CredentialsPath);
    }

    /// <summary>A server an AppHost left running when it was killed would hold the data directory: stop it.</summary>
    private void StopLeftoverServer()
    {
        var pidFile = Path.Combine(Home, "mysqld.pid");
        if (!File.Exists(pidFile) || !int.TryParse(File.ReadAllText(pidFile).Trim(), out var pid))
        {
            return;
        }
        var cmdline = $"/proc/{pid}/cmdline";
        if (File.Exists(cmdline) && File.ReadAllText(cmdline).Contains(DataDirectory, StringComparison.Ordinal))
        {
            Log.Write($"stopping a leftover server (pid {pid})", isSystem: true);
            try
            {
                using var leftover = System.Diagnostics.Process.GetProcessById(pid);
                leftover.Kill();
                leftover.WaitForExit(10_000);
            }
            catch (ArgumentException)
            {
                // Already gone.
            }
        }
    }

    private Credentials? LoadCredentials() =>
        File.Exists(CredentialsPath) ? JsonSerializer.Deserialize<Credentials>(File.ReadAllText(CredentialsPath)) : null;

    private void SaveCredentials(Credentials credentials)
    {
        File.WriteAllText(CredentialsPath, JsonSerializer.Serialize(credentials));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(CredentialsPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }

    private static string NewPassword() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));

    private static async Task ExecuteAsync(MySqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new MySqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    internal static string? Which(string program, string fallback)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, program);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        return File.Exists(fallback) ? fallback : null;
    }

    private sealed record Credentials(string RootPassword, string AppPassword);
}
