namespace OrderPipeline.AppHost.Hosting;

/// <summary>
/// Something the AppHost runs or connects to: a database server, a queue service, a service project.
/// Mirrors Aspire's resource model: a name, a type, a state, endpoints, what it waits for, and its logs.
/// </summary>
public abstract class Resource(string name)
{
    private readonly List<Resource> _waitsFor = [];
    private readonly Dictionary<string, string> _endpoints = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource _firstHealthy = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string Name { get; } = name;

    public abstract string Type { get; }

    public ResourceState State { get; private set; } = ResourceState.NotStarted;

    /// <summary>A few words on the current state (why it failed, what it waits for).</summary>
    public string? StateDetail { get; private set; }

    public DateTimeOffset? StartedAt { get; protected set; }

    public int RestartCount { get; protected set; }

    public ResourceLog Log { get; } = new(name);

    public IReadOnlyList<Resource> WaitsFor => _waitsFor;

    /// <summary>Named endpoints (e.g. "http", "tcp") once known.</summary>
    public IReadOnlyDictionary<string, string> Endpoints => _endpoints;

    /// <summary>Resources that run nothing themselves (a database on a server, a queue) report their parent's state.</summary>
    public virtual Resource? Parent => null;

    public event Action<Resource>? StateChanged;

    internal void AddWaitFor(Resource resource)
    {
        if (!_waitsFor.Contains(resource))
        {
            _waitsFor.Add(resource);
        }
    }

    protected void SetEndpoint(string name, string url) => _endpoints[name] = url;

    internal void SetState(ResourceState state, string? detail = null)
    {
        State = state;
        StateDetail = detail;
        if (state == ResourceState.Healthy)
        {
            _firstHealthy.TrySetResult();
        }
        Log.Write($"{state.ToString().ToLowerInvariant()}{(detail is null ? "" : ": " + detail)}", isSystem: true);
        StateChanged?.Invoke(this);
    }

    internal virtual void BeginShutdown() { }

    internal void FailStartup(Exception reason) => _firstHealthy.TrySetException(reason);

    /// <summary>Completes once the resource has been healthy, or throws if it failed to start.</summary>
    public Task WaitForHealthyAsync(CancellationToken cancellationToken) => _firstHealthy.Task.WaitAsync(cancellationToken);

    public abstract Task StartAsync(CancellationToken cancellationToken);

    public abstract Task StopAsync(CancellationToken cancellationToken);

    /// <summary>Called again after an explicit stop; restarts reuse the same configuration.</summary>
    public virtual Task RestartAsync(CancellationToken cancellationToken) => StartAsync(cancellationToken);
}

/// <summary>A resource that gives a service configuration when referenced (a connection string, a queue URL, AWS settings).</summary>
public interface IResourceWithEnvironment
{
    void AddEnvironment(IDictionary<string, string> environment);
}
