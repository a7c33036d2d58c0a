namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// A resource that represents a MySQL server run as a local executable: Debian's MariaDB (<c>mariadbd</c>) in a
/// private data directory, on loopback, the stand-in for RDS MySQL. Shaped like Aspire.Hosting.MySql's resource of
/// the same name, except that services sign in as an application user (<see cref="UserName"/>), never as root.
/// </summary>
/// <param name="name">The name of the resource.</param>
/// <param name="serverPath">The path of the <c>mariadbd</c> program.</param>
/// <param name="home">The folder that holds the server's data directory, socket, pid file and error log.</param>
/// <param name="password">The parameter that holds the application user's password.</param>
public sealed class MySqlServerResource(string name, string serverPath, string home, ParameterResource password)
    : ExecutableResource(name, serverPath, home), IResourceWithConnectionString
{
    internal const string PrimaryEndpointName = "tcp";

    /// <summary>
    /// The application user, granted everything on the server's databases and nothing else.
    /// </summary>
    public const string UserName = "orderpipeline";

    private readonly List<MySqlDatabaseResource> _databaseResources = [];
    private readonly Dictionary<string, string> _databases = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Gets the folder that holds <see cref="DataDirectory"/>, the socket, the pid file and the server's own error log.
    /// </summary>
    public string Home { get; internal set; } = home;

    /// <summary>
    /// Gets the server's data directory (<c>--datadir</c>).
    /// </summary>
    public string DataDirectory => Path.Combine(Home, "data");

    /// <summary>
    /// Gets the path of the server's own error log (<c>--log-error</c>).
    /// </summary>
    public string ErrorLogPath => Path.Combine(Home, "error.log");

    /// <summary>SQL the server runs as it starts: it brings the application user and databases in line with the model.</summary>
    internal string InitFilePath => Path.Combine(Home, "init.sql");

    internal string SocketPath => Path.Combine(Home, "mysqld.sock");

    internal string PidFilePath => Path.Combine(Home, "mysqld.pid");

    /// <summary>
    /// Gets the parameter that contains the application user's password.
    /// </summary>
    public ParameterResource PasswordParameter { get; } = password ?? throw new ArgumentNullException(nameof(password));

    /// <summary>
    /// Gets the primary endpoint for the MySQL server.
    /// </summary>
    public EndpointReference PrimaryEndpoint => field ??= new(this, PrimaryEndpointName);

    /// <summary>
    /// Gets the host endpoint reference for this resource.
    /// </summary>
    public EndpointReferenceExpression Host => PrimaryEndpoint.Property(EndpointProperty.Host);

    /// <summary>
    /// Gets the port endpoint reference for this resource.
    /// </summary>
    public EndpointReferenceExpression Port => PrimaryEndpoint.Property(EndpointProperty.Port);

    /// <summary>
    /// Gets the connection string expression for the MySQL server, signed in as <see cref="UserName"/>.
    /// </summary>
    public ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create($"Server={Host};Port={Port};User ID={UserName};Password={PasswordParameter}");

    /// <summary>
    /// Gets a dictionary where the key is the resource name and the value is the database name.
    /// </summary>
    public IReadOnlyDictionary<string, string> Databases => _databases;

    /// <summary>The database resources on this server, in the order they were added.</summary>
    internal IReadOnlyList<MySqlDatabaseResource> DatabaseResources => _databaseResources;

    internal void AddDatabase(MySqlDatabaseResource database)
    {
        _databases.TryAdd(database.Name, database.DatabaseName);
        _databaseResources.Add(database);
    }
}
