using OrderPipeline.AppHost.Resources;

namespace OrderPipeline.AppHost.Hosting;

/// <summary>Declares the app model, in the manner of Aspire's IDistributedApplicationBuilder.</summary>
public sealed class DistributedApplicationBuilder(AppHostOptions options)
{
    private readonly List<Resource> _resources = [];

    public AppHostOptions Options { get; } = options;

    public IReadOnlyList<Resource> Resources => _resources;

    /// <summary>The builder an AppHost's Program gets: from the command line, or from a test that starts this AppHost.</summary>
    public static DistributedApplicationBuilder Create(string[] args) =>
        new(DistributedApplicationTesting.CurrentOptions ?? AppHostOptions.FromArgs(args));

    /// <summary>
    /// The database: a private MariaDB server, or the existing server in <c>ConnectionStrings:{database}</c>.
    /// </summary>
    public MySqlDatabaseResource AddMySql(string serverName, string databaseName)
    {
        var existing = Options.Configuration.GetConnectionString(databaseName);
        if (!string.IsNullOrWhiteSpace(existing))
        {
            return Add(new MySqlDatabaseResource(databaseName, existing));
        }
        var server = Add(new MySqlServerResource(serverName, Options));
        return Add(server.AddDatabase(databaseName));
    }

    public SqsResource AddSqs(string name) => Add(new SqsResource(name, Options));

    public SqsQueueResource AddQueue(SqsResource sqs, string queueName, string deadLetterQueueName, int maxReceiveCount) =>
        Add(sqs.AddQueue(queueName, deadLetterQueueName, maxReceiveCount));

    public ProjectResource AddProject(string name, string projectName) => Add(new ProjectResource(name, projectName, Options));

    public DistributedApplication Build() => new(Options, _resources);

    private T Add<T>(T resource) where T : Resource
    {
        if (_resources.Any(r => r.Name == resource.Name))
        {
            throw new InvalidOperationException($"A resource named '{resource.Name}' already exists.");
        }
        _resources.Add(resource);
        return resource;
    }
}

public static class ResourceBuilderExtensions
{
    /// <summary>Start <paramref name="resource"/> only once <paramref name="dependency"/> is healthy.</summary>
    public static T WaitFor<T>(this T resource, Resource dependency) where T : Resource
    {
        resource.AddWaitFor(dependency.Parent ?? dependency);
        return resource;
    }
}
