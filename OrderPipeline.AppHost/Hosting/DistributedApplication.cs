using System.Runtime.InteropServices;
using OrderPipeline.AppHost.Dashboard;
using OrderPipeline.AppHost.Resources;

namespace OrderPipeline.AppHost.Hosting;

/// <summary>
/// Runs the app model: starts each resource once what it waits for is healthy, stops them in reverse order,
/// and gives tests what Aspire.Hosting.Testing gives (HTTP clients, connection strings, resources by name).
/// </summary>
public sealed class DistributedApplication : IAsyncDisposable
{
    private readonly List<Resource> _resources;
    private readonly ConsoleReporter? _console;
    private bool _stopped;

    internal DistributedApplication(AppHostOptions options, IReadOnlyList<Resource> resources)
    {
        Options = options;
        _resources = [.. resources];
        _console = options.Quiet ? null : new ConsoleReporter(_resources);
        Dashboard = options.EnableDashboard ? new DashboardServer(_resources, new Uri(options.DashboardUrl), options.OtlpApiKey) : null;
    }

    /// <summary>The dashboard, when enabled: started first (it receives the services' telemetry), stopped last.</summary>
    public DashboardServer? Dashboard { get; }

    public AppHostOptions Options { get; }

    public IReadOnlyList<Resource> Resources => _resources;

    public Resource GetResource(string name) =>
        _resources.FirstOrDefault(r => r.Name == name) ?? throw new ArgumentException($"No resource named '{name}'.", nameof(name));

    public T GetResource<T>(string name) where T : Resource => (T)GetResource(name);

    public HttpClient CreateHttpClient(string resourceName) =>
        new() { BaseAddress = new Uri(GetResource<ProjectResource>(resourceName).HttpUrl ?? throw new InvalidOperationException($"{resourceName} has no endpoint.")) };

    public string GetConnectionString(string resourceName) => GetResource<MySqlDatabaseResource>(resourceName).ConnectionString;

    /// <summary>Starts everything; throws (after stopping what started) if any resource fails to start.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (Dashboard is not null)
        {
            await Dashboard.StartAsync(cancellationToken).ConfigureAwait(false);
            // As Aspire does: the login link first, so a resource that fails to start can be looked into.
            _console?.Say($"dashboard: {Dashboard.LoginUrl}");
        }
        var started = new Dictionary<Resource, Task>();
        Task StartInOrder(Resource resource)
        {
            if (!started.TryGetValue(resource, out var task))
            {
                task = StartAfterDependenciesAsync(resource, [.. resource.WaitsFor.Select(StartInOrder)], cancellationToken);
                started[resource] = task;
            }
            return task;
        }
        var all = _resources.Select(StartInOrder).ToList();
        try
        {
            await Task.WhenAll(all).ConfigureAwait(false);
        }
        catch
        {
            await StopAsync(CancellationToken.None).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Stops everything, dependents first.</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (_stopped)
        {
            return;
        }
        _stopped = true;
        foreach (var resource in _resources)
        {
            resource.BeginShutdown();
        }
        foreach (var resource in StopOrder())
        {
            try
            {
                await resource.StopAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                resource.Log.Write("stop failed: " + ex.Message, isError: true, isSystem: true);
            }
        }
        _console?.Dispose();
        if (Dashboard is not null)
        {
            await Dashboard.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Starts, reports where the API is, and runs until Ctrl+C or SIGTERM.</summary>
    public async Task RunAsync()
    {
        if (DistributedApplicationTesting.Current is { } testing)
        {
            await testing.RunAsync(this).ConfigureAwait(false);
            return;
        }

        using var stopping = new CancellationTokenSource();
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        try
        {
            await StartAsync(stopping.Token).ConfigureAwait(false);
            _console?.Announce(this);
            await Task.Delay(Timeout.Infinite, stopping.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Ctrl+C or SIGTERM.
        }
        finally
        {
            _console?.Say("stopping");
            await StopAsync(CancellationToken.None).ConfigureAwait(false);
            _console?.Say("stopped");
        }

        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            stopping.Cancel();
        }
    }

    public ValueTask DisposeAsync() => new(StopAsync());

    private static async Task StartAfterDependenciesAsync(Resource resource, Task[] dependencies, CancellationToken cancellationToken)
    {
        if (dependencies.Length > 0)
        {
            resource.SetState(ResourceState.Waiting, "for " + string.Join(", ", resource.WaitsFor.Select(r => r.Name)));
            await Task.WhenAll(dependencies).ConfigureAwait(false);
            foreach (var dependency in resource.WaitsFor)
            {
                await dependency.WaitForHealthyAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        await resource.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    private IEnumerable<Resource> StopOrder()
    {
        // Reverse of a dependency-respecting start order.
        var ordered = new List<Resource>();
        void Visit(Resource resource)
        {
            if (ordered.Contains(resource))
            {
                return;
            }
            foreach (var dependency in resource.WaitsFor)
            {
                Visit(dependency);
            }
            ordered.Add(resource);
        }
        foreach (var resource in _resources)
        {
            Visit(resource.Parent ?? resource);
            Visit(resource);
        }
        return Enumerable.Reverse(ordered);
    }
}
