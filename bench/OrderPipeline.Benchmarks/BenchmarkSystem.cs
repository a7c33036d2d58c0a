using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace OrderPipeline.Benchmarks;

/// <summary>How the system under test is started.</summary>
/// <param name="Settings">Environment variables given to every service, to compare a tuning against the defaults.</param>
/// <param name="Processors">Processor instances side by side (the AppHost's <c>AppHost:Processors</c>).</param>
public sealed record SystemOptions(IReadOnlyDictionary<string, string> Settings, bool Dashboard = false, bool SqsPersistence = false, int Processors = 1);

/// <summary>
/// The whole system (real MariaDB, SQS emulator, the three services) started from the AppHost's app model on free
/// ports in a throw-away directory, the README's way; disposing it stops everything and removes the directory.
/// </summary>
public sealed class BenchmarkSystem : IAsyncDisposable
{
    private readonly string _dataDirectory;

    private BenchmarkSystem(DistributedApplication app, string dataDirectory, HttpClient api, string connectionString, IReadOnlyList<string> processors)
    {
        App = app;
        _dataDirectory = dataDirectory;
        Api = api;
        ConnectionString = connectionString;
        Processors = processors;
    }

    public DistributedApplication App { get; }
    public HttpClient Api { get; }
    public string ConnectionString { get; }

    /// <summary>The Processor resources: "processor", "processor-2", ...</summary>
    public IReadOnlyList<string> Processors { get; }
    public Uri SqsServiceUrl => App.GetEndpoint("sqs", "http");

    public static async Task<BenchmarkSystem> StartAsync(SystemOptions options, CancellationToken cancellationToken = default)
    {
        // Short: the MariaDB socket lives under it and a Unix socket path allows ~100 characters.
        var dataDirectory = Path.Combine(Path.GetTempPath(), $"op-bench-{Guid.NewGuid():N}"[..18]);
        using var startTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        startTimeout.CancelAfter(TimeSpan.FromMinutes(3));
        string[] dashboardArgs = options.Dashboard
            // The launch profile's fixed dashboard ports would collide with a developer's AppHost running beside.
            ? [$"--ASPNETCORE_URLS=http://127.0.0.1:{StartupCosts.FreePort()}", $"--ASPIRE_DASHBOARD_OTLP_HTTP_ENDPOINT_URL=http://127.0.0.1:{StartupCosts.FreePort()}",
               $"--ASPIRE_RESOURCE_SERVICE_ENDPOINT_URL=http://127.0.0.1:{StartupCosts.FreePort()}", "--ASPIRE_ALLOW_UNSECURED_TRANSPORT=true"]
            : [];
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.OrderPipeline_AppHost>(
            // Ports of its own (the endpoints are not proxied): another AppHost running beside must not collide with it.
            [$"--AppHost:DataDirectory={dataDirectory}", $"--AppHost:SqsPersistence={options.SqsPersistence}", $"--AppHost:Processors={options.Processors}",
             $"--AppHost:MySqlPort={StartupCosts.FreePort()}", $"--AppHost:SqsPort={StartupCosts.FreePort()}", $"--AppHost:ApiPort={StartupCosts.FreePort()}", .. dashboardArgs],
            (appOptions, _) => appOptions.DisableDashboard = !options.Dashboard,
            startTimeout.Token);
        // The testing builder forwards every resource's console to the AppHost's logger; the figures are the output here.
        builder.Services.AddLogging(logging => logging.ClearProviders());
        foreach (var project in builder.Resources.OfType<ProjectResource>().Where(p => p.Name != "migrations").ToList())
        {
            var service = builder.CreateResourceBuilder(project);
            foreach (var (name, value) in options.Settings)
            {
                service.WithEnvironment(name, value);
            }
            if (!options.Dashboard)
            {
                // Without a dashboard Aspire still points the services' OTLP exporter at localhost:4317, where nothing
                // listens: they would spend CPU on failed exports and retries. With no endpoint they export nothing.
                service.WithEnvironment(context => context.EnvironmentVariables.Remove("OTEL_EXPORTER_OTLP_ENDPOINT"));
            }
        }

        var processors = builder.Resources.OfType<ProjectResource>().Select(p => p.Name)
            .Where(n => n.StartsWith("processor", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();

        var app = await builder.BuildAsync(startTimeout.Token);
        try
        {
            await app.StartAsync(startTimeout.Token);
            await app.ResourceNotifications.WaitForResourceAsync("migrations", KnownResourceStates.Finished, startTimeout.Token);
            foreach (var name in processors.Prepend("notifier").Prepend("api"))
            {
                await app.ResourceNotifications.WaitForResourceHealthyAsync(name, startTimeout.Token);
            }
            var api = app.CreateHttpClient("api", "http");
            var connectionString = await app.GetConnectionStringAsync("orders", startTimeout.Token)
                ?? throw new InvalidOperationException("No connection string for orders.");
            return new BenchmarkSystem(app, dataDirectory, api, connectionString, processors);
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
    }

    public IResource Resource(string name) =>
        App.Services.GetRequiredService<DistributedApplicationModel>().Resources.Single(r => r.Name == name);

    /// <summary>The process behind each executable and project resource that has one, as DCP reports it.</summary>
    public IReadOnlyDictionary<int, string> ResourceProcesses()
    {
        var pids = new Dictionary<int, string>();
        foreach (var resource in App.Services.GetRequiredService<DistributedApplicationModel>().Resources)
        {
            if (App.ResourceNotifications.TryGetCurrentState(resource.Name, out var state) && ProcessIdOf(state) is { } id)
            {
                pids[id] = resource.Name;
            }
        }
        return pids;
    }

    /// <summary>The process behind a project or executable resource, as DCP reports it (null while it has none).</summary>
    public static int? ProcessIdOf(ResourceEvent resource) =>
        resource.Snapshot.Properties.FirstOrDefault(p => p.Name == "executable.pid")?.Value is { } pid
            && int.TryParse(Convert.ToString(pid, System.Globalization.CultureInfo.InvariantCulture), out var id) ? id : null;

    public async ValueTask DisposeAsync()
    {
        Api.Dispose();
        await App.StopAsync();
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
