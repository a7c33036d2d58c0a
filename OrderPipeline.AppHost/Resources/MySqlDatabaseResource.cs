using OrderPipeline.AppHost.Hosting;

namespace OrderPipeline.AppHost.Resources;

/// <summary>
/// A database on a MySQL server, or on an existing server given by <c>ConnectionStrings:{name}</c>.
/// Referencing it gives a service <c>ConnectionStrings__{name}</c>, as Aspire does.
/// </summary>
public sealed class MySqlDatabaseResource : Resource, IResourceWithEnvironment
{
    private readonly List<Func<string, CancellationToken, Task>> _initializers = [];
    private readonly string? _externalConnectionString;

    internal MySqlDatabaseResource(string name, MySqlServerResource server) : base(name)
    {
        Server = server;
        DatabaseName = name;
        server.StateChanged += _ => SetState(server.State, server.StateDetail);
    }

    /// <summary>An existing server: nothing is started, only the schema applied.</summary>
    internal MySqlDatabaseResource(string name, string connectionString) : base(name)
    {
        _externalConnectionString = connectionString;
        DatabaseName = new MySqlConnector.MySqlConnectionStringBuilder(connectionString).Database;
    }

    public override string Type => Server is null ? "MySQL database (existing server)" : "MySQL database";

    public MySqlServerResource? Server { get; }

    public override Resource? Parent => Server;

    public string DatabaseName { get; }

    public string ConnectionString => _externalConnectionString ?? Server!.ConnectionStringFor(DatabaseName);

    /// <summary>Runs against the database each time it starts, e.g. to apply the schema (must be re-runnable).</summary>
    public MySqlDatabaseResource WithInitializer(Func<string, CancellationToken, Task> initializer)
    {
        _initializers.Add(initializer);
        return this;
    }

    internal async Task InitializeAsync(string connectionString, CancellationToken cancellationToken)
    {
        foreach (var initializer in _initializers)
        {
            await initializer(connectionString, cancellationToken).ConfigureAwait(false);
        }
    }

    public void AddEnvironment(IDictionary<string, string> environment) =>
        environment[$"ConnectionStrings__{Name}"] = ConnectionString;

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        if (_externalConnectionString is null)
        {
            return; // The server starts it.
        }
        SetState(ResourceState.Starting, "existing server");
        try
        {
            await InitializeAsync(_externalConnectionString, cancellationToken).ConfigureAwait(false);
            SetState(ResourceState.Healthy, "existing server");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            SetState(ResourceState.FailedToStart, ex.Message);
            FailStartup(ex);
            throw;
        }
    }

    public override Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
