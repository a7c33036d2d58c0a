using Amazon.Runtime;
using Amazon.SQS;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;

namespace OrderPipeline.Tests.Support;

/// <summary>
/// The AppHost's own app model, started by Aspire.Hosting.Testing with a throw-away data directory, random ports
/// (Aspire's testing default) and quick retries in the services. Every resource is awaited healthy, never slept on.
/// </summary>
public sealed class TestAppHost : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);

    private readonly string _dataDirectory;

    private TestAppHost(DistributedApplication app, string dataDirectory)
    {
        App = app;
        _dataDirectory = dataDirectory;
    }

    public DistributedApplication App { get; }

    /// <summary>The MariaDB server's home (socket, pid file), under the run's data directory as the AppHost lays it out.</summary>
    public string MySqlHome => System.IO.Path.Combine(_dataDirectory, "mysql");

    /// <summary>
    /// Starts the app model. <paramref name="withServices"/> false keeps only MySQL, SQS and the migration step,
    /// for tests that host the services in-process; <paramref name="configure"/> may change the builder further.
    /// </summary>
    public static async Task<TestAppHost> StartAsync(bool withServices, string[]? args = null,
        Action<IDistributedApplicationTestingBuilder>? configure = null, Action<DistributedApplicationOptions>? options = null)
    {
        // Short: the MariaDB socket lives under it and a Unix socket path allows ~100 characters.
        var dataDirectory = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"op-{Guid.NewGuid():N}"[..12]);
        using var timeout = new CancellationTokenSource(StartTimeout);
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.OrderPipeline_AppHost>(
            // Ports of the run's own: the endpoints are not proxied, and ports DCP assigns itself are chosen the same way
            // for every AppHost, so test collections starting side by side would collide.
            [$"--AppHost:DataDirectory={dataDirectory}", $"--AppHost:MySqlPort={FreePort.Next()}", $"--AppHost:SqsPort={FreePort.Next()}",
             $"--AppHost:ApiPort={FreePort.Next()}", .. args ?? []],
            (appOptions, _) => options?.Invoke(appOptions),
            timeout.Token);

        foreach (var project in builder.Resources.OfType<ProjectResource>().Where(p => p.Name != "migrations").ToList())
        {
            if (withServices)
            {
                builder.CreateResourceBuilder(project)
                    .WithEnvironment("Messaging__Consumer__RetryDelaySeconds", "1")
                    .WithEnvironment("Messaging__Consumer__WaitTimeSeconds", "2")
                    .WithEnvironment("Outbox__RelayIntervalSeconds", "1")
                    .WithEnvironment("Outbox__GraceSeconds", "2");
            }
            else
            {
                builder.Resources.Remove(project);
            }
        }
        configure?.Invoke(builder);

        var app = await builder.BuildAsync(timeout.Token);
        var host = new TestAppHost(app, dataDirectory);
        try
        {
            await app.StartAsync(timeout.Token);
            await app.ResourceNotifications.WaitForResourceAsync("migrations", KnownResourceStates.Finished, timeout.Token);
            foreach (var name in withServices ? ["orders", "sqs", "api", "processor", "notifier"] : new[] { "orders", "sqs" })
            {
                await app.ResourceNotifications.WaitForResourceHealthyAsync(name, timeout.Token);
            }
            return host;
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }
    }

    public async Task<string> ConnectionStringAsync(string name) =>
        await App.GetConnectionStringAsync(name) ?? throw new InvalidOperationException($"No connection string {name}.");

    public Uri SqsServiceUrl => App.GetEndpoint("sqs", "http");

    /// <summary>A client for the emulator, with the credentials the services get (the emulator takes any).</summary>
    public IAmazonSQS CreateSqsClient() => new AmazonSQSClient(new BasicAWSCredentials("test", "test"), new AmazonSQSConfig
    {
        ServiceURL = SqsServiceUrl.ToString().TrimEnd('/'),
        AuthenticationRegion = "us-east-1",
    });

    public async ValueTask DisposeAsync()
    {
        await App.DisposeAsync();
        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless.
        }
    }
}
