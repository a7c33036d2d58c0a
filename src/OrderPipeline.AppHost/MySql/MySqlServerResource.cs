namespace OrderPipeline.AppHost.MySql;

/// <summary>
/// A MySQL server run as a local executable: Debian's MariaDB (<c>mariadbd</c>) in a private data directory, on
/// loopback, the stand-in for RDS MySQL. Shaped like Aspire.Hosting.MySql's resource of the same name, except that
/// services sign in as an application user (<see cref="UserName"/>), never as root.
/// </summary>
public sealed class MySqlServerResource(string name, string serverPath, string home, ParameterResource password)
    : ExecutableResource(name, serverPath, home), IResourceWithConnectionString
{
    internal const string PrimaryEndpointName = "tcp";

    /// <summary>The application user, granted everything on the server's databases and nothing else.</summary>
    public const string UserName = "orderpipeline";

    private readonly List<MySqlDatabaseResource> _databases = [];

    /// <summary>Holds <see cref="DataDirectory"/>, the socket, the pid file and the server's own error log.</summary>
    public string Home { get; internal set; } = home;

    public string DataDirectory => Path.Combine(Home, "data");

    public string ErrorLogPath => Path.Combine(Home, "error.log");

    /// <summary>SQL the server runs as it starts: it brings the application user and databases in line with the model.</summary>
    internal string InitFilePath => Path.Combine(Home, "init.sql");

    internal string SocketPath => Path.Combine(Home, "mysqld.sock");

    internal string PidFilePath => Path.Combine(Home, "mysqld.pid");

    public ParameterResource PasswordParameter { get; } = password;

    public EndpointReference PrimaryEndpoint => field ??= new(this, PrimaryEndpointName);

    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create(
        $"Server={PrimaryEndpoint.Property(EndpointProperty.Host)};Port={PrimaryEndpoint.Property(EndpointProperty.Port)};User ID={UserName};Password={PasswordParameter}");

    public IReadOnlyList<MySqlDatabaseResource> Databases => _databases;

    internal void AddDatabase(MySqlDatabaseResource database) => _databases.Add(database);
}
