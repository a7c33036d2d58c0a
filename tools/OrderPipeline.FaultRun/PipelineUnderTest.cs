using System.Diagnostics;
using System.Globalization;
using Amazon.Runtime;
using Amazon.SQS;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OrderPipeline.AppHost.MySql;

namespace OrderPipeline.FaultRun;

/// <summary>
/// The whole system, started the README's way from the AppHost's app model (real MariaDB, SQS emulator, the services
/// under the AppHost's supervision), in a throw-away data directory, with the handles the fault run needs.
/// </summary>
public sealed class PipelineUnderTest : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(4);
    private readonly string _dataDirectory;

    private PipelineUnderTest(DistributedApplication app, string dataDirectory, IReadOnlyList<string> processors)
    {
        App = app;
        _dataDirectory = dataDirectory;
        Processors = processors;
    }

    public DistributedApplication App { get; }

    /// <summary>The Processor resources: "processor", "processor-2", ...</summary>
    public IReadOnlyList<string> Processors { get; }

    public static async Task<PipelineUnderTest> StartAsync(int processors, CancellationToken cancellationToken)
    {
        // Short: the MariaDB socket lives under it and a Unix socket path allows ~100 characters.
        var dataDirectory = Path.Combine(Path.GetTempPath(), $"op-fault-{Guid.NewGuid():N}"[..18]);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(StartTimeout);
        // Any public type of the AppHost's assembly names it as the entry point.
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<MySqlServerResource>(
            [$"--AppHost:DataDirectory={dataDirectory}", $"--AppHost:Processors={processors}"],
            (options, _) => options.DisableDashboard = true,
            timeout.Token);
        // The resources' consoles would drown the run's own output.
        builder.Services.AddLogging(logging => logging.ClearProviders());
        foreach (var project in builder.Resources.OfType<ProjectResource>().Where(p => p.Name != "migrations"))
        {
            builder.CreateResourceBuilder(project)
                .WithEnvironment("Messaging__Consumer__RetryDelaySeconds", "1")
                .WithEnvironment("Messaging__Consumer__WaitTimeSeconds", "2")
                .WithEnvironment("Outbox__RelayIntervalSeconds", "1")
                .WithEnvironment("Outbox__GraceSeconds", "2")
                // No dashboard listens: without an endpoint the services spend nothing on failed exports.
                .WithEnvironment(context => context.EnvironmentVariables.Remove("OTEL_EXPORTER_OTLP_ENDPOINT"));
        }
        var names = builder.Resources.OfType<ProjectResource>().Select(p => p.Name).Where(n => n.StartsWith("processor", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();

        var app = await builder.BuildAsync(timeout.Token);
        var pipeline = new PipelineUnderTest(app, dataDirectory, names);
        try
        {
            await app.StartAsync(timeout.Token);
            await app.ResourceNotifications.WaitForResourceAsync("migrations", KnownResourceStates.Finished, timeout.Token);
            foreach (var name in new[] { "orders", "sqs", "api", "notifier" }.Concat(names))
            {
                await app.ResourceNotifications.WaitForResourceHealthyAsync(name, timeout.Token);
            }
            return pipeline;
        }
        catch
        {
            await pipeline.DisposeAsync();
            throw;
        }
    }

    public HttpClient CreateApiClient() => App.CreateHttpClient("api", "http");

    public async Task<string> ConnectionStringAsync() =>
        await App.GetConnectionStringAsync("orders") ?? throw new InvalidOperationException("No connection string for orders.");

    public IAmazonSQS CreateSqsClient() => new AmazonSQSClient(new BasicAWSCredentials("test", "test"), new AmazonSQSConfig
    {
        ServiceURL = App.GetEndpoint("sqs", "http").ToString().TrimEnd('/'),
        AuthenticationRegion = "us-east-1",
    });

    public IResource Resource(string name) =>
        App.Services.GetRequiredService<DistributedApplicationModel>().Resources.Single(r => r.Name == name);

    public async Task<ExecuteCommandResult> ExecuteCommandAsync(string resource, string command, CancellationToken cancellationToken) =>
        await App.Services.GetRequiredService<ResourceCommandService>().ExecuteCommandAsync(Resource(resource), command, cancellationToken);

    /// <summary>SIGKILL the resource's process, as a crash or the OOM killer would; the AppHost's supervisor restarts it.</summary>
    /// <returns>The pid that was killed.</returns>
    public async Task<int> KillAsync(string resource, CancellationToken cancellationToken)
    {
        var state = await App.ResourceNotifications.WaitForResourceAsync(resource, e => ProcessIdOf(e) is not null, cancellationToken);
        var pid = ProcessIdOf(state)!.Value;
        using var process = Process.GetProcessById(pid);
        process.Kill();
        return pid;
    }

    /// <summary>How many times the AppHost's supervisor restarted the resource (its dashboard property).</summary>
    public async Task<int> RestartsOfAsync(string resource, CancellationToken cancellationToken)
    {
        var state = await App.ResourceNotifications.WaitForResourceAsync(resource, _ => true, cancellationToken);
        var value = state.Snapshot.Properties.FirstOrDefault(p => p.Name == "supervision.restarts")?.Value;
        return value is null ? 0 : Convert.ToInt32(value, CultureInfo.InvariantCulture);
    }

    private static int? ProcessIdOf(ResourceEvent resource) =>
        resource.Snapshot.Properties.FirstOrDefault(p => p.Name == "executable.pid")?.Value is { } pid
            ? Convert.ToInt32(pid, CultureInfo.InvariantCulture)
            : null;

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
