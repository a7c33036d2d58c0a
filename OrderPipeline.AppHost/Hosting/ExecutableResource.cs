namespace OrderPipeline.AppHost.Hosting;

/// <summary>How to launch a resource's process.</summary>
public sealed record ProcessSpec(string FileName, IReadOnlyList<string> Arguments, IReadOnlyDictionary<string, string> Environment, string WorkingDirectory);

/// <summary>
/// A resource backed by a child process: launched, probed until healthy, watched, and restarted when it dies
/// (up to <see cref="MaxRestarts"/> times), stopped with SIGTERM.
/// </summary>
public abstract class ExecutableResource(string name) : Resource(name)
{
    private static readonly TimeSpan StartupTimeout = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan ProbeInterval = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MonitorInterval = TimeSpan.FromSeconds(2);

    private readonly SemaphoreSlim _lifecycle = new(1, 1);
    private ProcessSpec? _spec;
    private ChildProcess? _process;
    private CancellationTokenSource? _monitor;
    private bool _initialized;
    private volatile bool _shuttingDown;

    public int MaxRestarts { get; set; } = 3;

    /// <summary>One client for every resource's health probes: they run every 100 ms while starting, every 2 s after.</summary>
    protected static HttpClient Probe { get; } = new() { Timeout = TimeSpan.FromSeconds(5) };

    public int? ProcessId => _process is { HasExited: false } p ? p.Id : null;

    /// <summary>Works out the command line and environment (ports, paths), once.</summary>
    protected abstract Task<ProcessSpec> PrepareAsync(CancellationToken cancellationToken);

    protected abstract Task<bool> IsHealthyAsync(CancellationToken cancellationToken);

    /// <summary>One-time work once the process first answers (users, schema, queues), before it is reported healthy.</summary>
    protected virtual Task InitializeAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await _lifecycle.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_process is { HasExited: false })
            {
                return;
            }
            SetState(ResourceState.Starting);
            _spec ??= await PrepareAsync(cancellationToken).ConfigureAwait(false);
            await LaunchAndWaitHealthyAsync(cancellationToken).ConfigureAwait(false);
            StartMonitor();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            SetState(ResourceState.FailedToStart, ex.Message);
            FailStartup(ex);
            throw;
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    /// <summary>The whole application is stopping: a child that exits now is not restarted.</summary>
    internal override void BeginShutdown() => _shuttingDown = true;

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await _lifecycle.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _monitor?.Cancel();
            if (_process is { } process)
            {
                await process.StopAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
                process.Dispose();
                _process = null;
                SetState(ResourceState.Stopped);
            }
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    /// <summary>SIGKILL, as a crash would: the resource is restarted like after any other crash.</summary>
    public void Kill() => _process?.Kill();

    private async Task LaunchAndWaitHealthyAsync(CancellationToken cancellationToken)
    {
        var spec = _spec!;
        var process = ChildProcess.Start(spec.FileName, spec.Arguments, spec.Environment, spec.WorkingDirectory, Log);
        _process = process;
        StartedAt = DateTimeOffset.UtcNow;
        SetState(ResourceState.Running, $"pid {process.Id}");
        _ = WatchForCrashAsync(process);

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(StartupTimeout);
        while (!await ProbeAsync(timeout.Token).ConfigureAwait(false))
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"{Name} exited with code {process.ExitCode} while starting; its last lines: {LastLines()}");
            }
            try
            {
                await Task.Delay(ProbeInterval, timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"{Name} was not healthy within {StartupTimeout.TotalSeconds:0} s; its last lines: {LastLines()}");
            }
        }
        if (!_initialized)
        {
            await InitializeAsync(cancellationToken).ConfigureAwait(false);
            _initialized = true;
        }
        SetState(ResourceState.Healthy);
    }

    private async Task<bool> ProbeAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await IsHealthyAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    private async Task WatchForCrashAsync(ChildProcess process)
    {
        await process.Exited.ConfigureAwait(false);
        if (process.StopRequested || _shuttingDown)
        {
            return;
        }
        SetState(ResourceState.Exited, $"exit code {process.ExitCode}");
        await _lifecycle.WaitAsync().ConfigureAwait(false);
        try
        {
            if (!ReferenceEquals(_process, process))
            {
                return;
            }
            while (RestartCount < MaxRestarts && !_shuttingDown)
            {
                RestartCount++;
                SetState(ResourceState.Restarting, $"restart {RestartCount} of {MaxRestarts}");
                await Task.Delay(TimeSpan.FromSeconds(1)).ConfigureAwait(false);
                try
                {
                    await LaunchAndWaitHealthyAsync(CancellationToken.None).ConfigureAwait(false);
                    return;
                }
                catch (Exception ex) when (ex is InvalidOperationException or TimeoutException)
                {
                    Log.Write(ex.Message, isError: true, isSystem: true);
                }
            }
            SetState(ResourceState.Exited, $"gave up after {MaxRestarts} restarts");
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    private void StartMonitor()
    {
        if (_monitor is { IsCancellationRequested: false })
        {
            return;
        }
        _monitor = new CancellationTokenSource();
        var token = _monitor.Token;
        _ = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(MonitorInterval);
            while (await timer.WaitForNextTickAsync(token).ConfigureAwait(false))
            {
                if (State is not (ResourceState.Healthy or ResourceState.Unhealthy))
                {
                    continue;
                }
                var healthy = await ProbeAsync(token).ConfigureAwait(false);
                if (healthy && State == ResourceState.Unhealthy)
                {
                    SetState(ResourceState.Healthy);
                }
                else if (!healthy && State == ResourceState.Healthy && _process is { HasExited: false })
                {
                    SetState(ResourceState.Unhealthy);
                }
            }
        }, token).ContinueWith(_ => { }, TaskScheduler.Default);
    }

    private string LastLines() =>
        string.Join(" | ", Log.Snapshot().Where(l => !l.IsSystem).TakeLast(5).Select(l => l.Text));
}
