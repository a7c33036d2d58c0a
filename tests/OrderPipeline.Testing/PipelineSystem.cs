using System.Globalization;
using Amazon.SQS;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace OrderPipeline.Testing;

/// <summary>
/// The whole system (real MariaDB, the SQS emulator, the three services), started from the AppHost's own app model by
/// Aspire.Hosting.Testing, the README's way, with a throw-away data directory and ports of its own. Every resource is
/// awaited healthy, never slept on. Disposing it stops everything and removes the directory.
/// </summary>
public sealed class PipelineSystem : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);

    private readonly string _dataDirectory;
    private readonly bool _stopGracefully;
    private HttpClient? _api;

    private PipelineSystem(DistributedApplication app, string dataDirectory, IReadOnlyList<string> processors, bool stopGracefully)
    {
        App = app;
        _dataDirectory = dataDirectory;
        Processors = processors;
        _stopGracefully = stopGracefully;
    }

    public DistributedApplication App { get; }

    /// <summary>The connection string of the orders database.</summary>
    public string ConnectionString { get; private set; } = "";

    /// <summary>The Processor resources: "processor", "processor-2", ... (none without services).</summary>
    public IReadOnlyList<string> Processors { get; }

    /// <summary>A client for the Api, made on first use and disposed with the system.</summary>
    public HttpClient Api => _api ??= App.CreateHttpClient("api", "http");

    /// <summary>The MariaDB server's home (socket, pid file), under the run's data directory as the AppHost lays it out.</summary>
    public string MySqlHome => Path.Combine(_dataDirectory, "mysql");

    public Uri SqsServiceUrl => App.GetEndpoint("sqs", "http");

    /// <summary>Starts the system and waits until the migration step has finished and every resource is healthy.</summary>
    public static async Task<PipelineSystem> StartAsync(PipelineSystemOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new PipelineSystemOptions();
        // Short: the MariaDB socket lives under it and a Unix socket path allows ~100 characters.
        var dataDirectory = Path.Combine(Path.GetTempPath(), $"op-{Guid.NewGuid():N}"[..12]);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(StartTimeout);
        string[] dashboardArgs = options.Dashboard
            // Plain HTTP on loopback, as in the launch profile. Command-line values win over the profile's fixed ports,
            // which would collide with a developer's AppHost running beside: DCP moves the dashboard's two listeners to
            // random ports in tests anyway, but the resource service is the AppHost's own and would otherwise take 18891.
            ? [$"--ASPNETCORE_URLS=http://127.0.0.1:{FreePort.Next()}", $"--ASPIRE_DASHBOARD_OTLP_HTTP_ENDPOINT_URL=http://127.0.0.1:{FreePort.Next()}",
               $"--ASPIRE_RESOURCE_SERVICE_ENDPOINT_URL=http://127.0.0.1:{FreePort.Next()}", "--ASPIRE_ALLOW_UNSECURED_TRANSPORT=true"]
            : [];
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.OrderPipeline_AppHost>(
            // Ports of the run's own: the endpoints are not proxied, and ports DCP assigns itself are chosen the same way
            // for every AppHost, so systems starting side by side (test collections, a developer's AppHost) would collide.
            [$"--AppHost:DataDirectory={dataDirectory}", $"--AppHost:MySqlPort={FreePort.Next()}", $"--AppHost:SqsPort={FreePort.Next()}",
             $"--AppHost:ApiPort={FreePort.Next()}", $"--AppHost:Processors={options.Processors}", $"--AppHost:SqsPersistence={options.SqsPersistence}",
             $"--AppHost:Lambda={options.Lambda}", .. options.Lambda && options.QuickRetries ? PipelineSystemOptions.QuickLambdaArgs : [],
             .. dashboardArgs, .. options.Args],
            (appOptions, _) =>
            {
                appOptions.DisableDashboard = !options.Dashboard;
                // The testing builder forwards every resource's console to the AppHost's logger, which `dotnet run` does not:
                // it streams every line of every service from DCP into this process.
                appOptions.EnableResourceLogging = !options.Quiet;
            },
            timeout.Token);
        if (options.Quiet)
        {
            // A program's output is its own.
            builder.Services.AddLogging(logging => logging.ClearProviders());
        }

        var environment = options.QuickRetries
            ? PipelineSystemOptions.QuickRetrySettings.ToDictionary(StringComparer.Ordinal)
            : new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in options.Environment)
        {
            environment[name] = value;
        }
        foreach (var program in builder.Resources.OfType<IResourceWithEnvironment>()
            .Where(r => r is ProjectResource or LambdaFunctionResource && r.Name != "migrations").ToList())
        {
            if (!options.Services)
            {
                builder.Resources.Remove(program);
                continue;
            }
            var service = builder.CreateResourceBuilder(program);
            foreach (var (name, value) in environment)
            {
                service.WithEnvironment(name, value);
            }
            if (options.Quiet && !options.Dashboard)
            {
                service.WithEnvironment(context => context.EnvironmentVariables.Remove("OTEL_EXPORTER_OTLP_ENDPOINT"));
            }
        }
        options.Configure?.Invoke(builder);

        var processors = builder.Resources.OfType<ProjectResource>().Select(p => p.Name)
            .Where(n => n.StartsWith("processor", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();
        // What must be healthy before the system is: the database, SQS and the services in the shape they run in.
        IReadOnlyList<string> ready = !options.Services ? ["orders", "sqs"]
            : options.Lambda
                ? ["orders", "sqs", .. builder.Resources.Where(r => r is LambdaFunctionResource && r.Name != "migrations").Select(r => r.Name), "api"]
            : ["orders", "sqs", "api", .. processors, "notifier"];

        var app = await builder.BuildAsync(timeout.Token);
        var system = new PipelineSystem(app, dataDirectory, processors, options.StopGracefully);
        var awaited = "the app to start";
        try
        {
            await app.StartAsync(timeout.Token);
            awaited = "migrations";
            // Ended one way or the other: a migration step that failed to start is not waited on until the timeout.
            var migrated = await app.ResourceNotifications.WaitForResourceAsync("migrations",
                e => e.Snapshot.State?.Text is { } state && (state == KnownResourceStates.Finished || state == KnownResourceStates.FailedToStart
                    || state == KnownResourceStates.Exited), timeout.Token);
            if (migrated.Snapshot.State?.Text != KnownResourceStates.Finished || migrated.Snapshot.ExitCode is not (0 or null))
            {
                // With the console of what it waited for: a migration step that never started says only that.
                var exitCode = migrated.Snapshot.ExitCode?.ToString(CultureInfo.InvariantCulture) ?? "none";
                throw new InvalidOperationException($"The migration step ended {migrated.Snapshot.State?.Text} (exit code {exitCode})."
                    + await system.ConsoleTailsAsync("migrations", "mysql"));
            }
            foreach (var name in ready)
            {
                awaited = name;
                await app.ResourceNotifications.WaitForResourceHealthyAsync(name, timeout.Token);
            }
            system.ConnectionString = await app.GetConnectionStringAsync("orders", timeout.Token)
                ?? throw new InvalidOperationException("No connection string for orders.");
            return system;
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            // Say what never came, with its state and console: a bare cancellation names nothing.
            var message = $"The system did not start within {StartTimeout}: still waiting for {awaited}.";
            if (app.ResourceNotifications.TryGetCurrentState(awaited, out var current))
            {
                message += $" Its state: {current.Snapshot.State?.Text ?? "none"}, health: {current.Snapshot.HealthStatus?.ToString() ?? "none"}."
                    + await system.ConsoleTailsAsync(awaited);
            }
            await system.DisposeAsync(stop: false);
            throw new TimeoutException(message);
        }
        catch
        {
            await system.DisposeAsync(stop: false);
            throw;
        }
    }

    /// <summary>Everything a resource has written to its console so far, as the AppHost keeps it.</summary>
    public async Task<IReadOnlyList<string>> ConsoleOfAsync(string resourceName)
    {
        var lines = new List<string>();
        using var done = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try
        {
            await foreach (var batch in App.Services.GetRequiredService<ResourceLoggerService>().GetAllAsync(Resource(resourceName))
                .WithCancellation(done.Token))
            {
                lines.AddRange(batch.Select(l => l.Content));
            }
        }
        catch (OperationCanceledException)
        {
            // The backlog was read.
        }
        return lines;
    }

    private async Task<string> ConsoleTailsAsync(params string[] resourceNames)
    {
        var consoles = new System.Text.StringBuilder();
        foreach (var name in resourceNames)
        {
            consoles.Append(CultureInfo.InvariantCulture, $"\n--- {name}:\n").AppendJoin('\n', (await ConsoleOfAsync(name)).TakeLast(40));
        }
        return consoles.ToString();
    }

    /// <summary>A client for the emulator, with the credentials the services get (the emulator takes any).</summary>
    public IAmazonSQS CreateSqsClient() => EmulatorSqs.CreateClient(SqsServiceUrl);

    public IResource Resource(string name) =>
        App.Services.GetRequiredService<DistributedApplicationModel>().Resources.Single(r => r.Name == name);

    /// <summary>Runs one of a resource's commands, as the dashboard's resource menu or <c>aspire resource</c> would.</summary>
    public Task<ExecuteCommandResult> ExecuteCommandAsync(string resource, string command, CancellationToken cancellationToken) =>
        App.Services.GetRequiredService<ResourceCommandService>().ExecuteCommandAsync(Resource(resource), command, cancellationToken);

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
    public static int? ProcessIdOf(ResourceEvent resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        return resource.Snapshot.Properties.FirstOrDefault(p => p.Name == "executable.pid")?.Value is { } pid
            && int.TryParse(Convert.ToString(pid, CultureInfo.InvariantCulture), out var id) ? id : null;
    }

    public ValueTask DisposeAsync() => DisposeAsync(_stopGracefully);

    private async ValueTask DisposeAsync(bool stop)
    {
        _api?.Dispose();
        if (stop)
        {
            await App.StopAsync();
        }
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
