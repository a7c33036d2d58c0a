using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;

namespace OrderPipeline.AppHost.Lambda;

/// <summary>
/// Runs one function's invocations as the Lambda service does: a free sandbox per invocation (a frozen one thawed, or
/// a new one started while below the concurrency cap, else the invocation is throttled), the function's timeout on
/// each (past it the sandbox is killed and the invocation fails), the sandbox frozen again after its answer and
/// reclaimed once idle for a while. The readiness check and the error status codes are the Web Adapter's settings.
/// </summary>
internal sealed partial class LambdaFunctionHost : ILambdaInvoker, IDisposable
{
    // The Web Adapter's own defaults.
    private const string DefaultReadinessPath = "/";
    private const string DefaultPassThroughPath = "/events";

    // Where Lambda serves its runtime API in a sandbox. Nothing here calls it (the adapter would; the host stands in for
    // the adapter), but the programs read its presence as "running in Lambda".
    private const string RuntimeApiAddress = "127.0.0.1:9001";

    private readonly LambdaFunctionResource _function;
    private readonly IReadOnlyDictionary<string, string> _environment;
    private readonly ILogger _console;
    private readonly string _socketDirectory;
    private readonly int _concurrency;
    private readonly TimeSpan _initTimeout;
    private readonly Func<int, bool> _isError;
    private readonly Stack<LambdaSandbox> _idle = new();
    private readonly HashSet<LambdaSandbox> _all = [];
    private readonly Lock _lock = new();
    private readonly Timer _reclaimer;
    private int _starting;
    private int _next;
    private volatile bool _disposed;

    public LambdaFunctionHost(LambdaFunctionResource function, IReadOnlyDictionary<string, string> environment, ILogger console,
        string socketDirectory, int accountConcurrency, TimeSpan initTimeout)
    {
        _function = function;
        // The variables Lambda itself sets in every sandbox; programs tell they run in Lambda by the runtime API's.
        _environment = new Dictionary<string, string>(environment, StringComparer.Ordinal)
        {
            ["AWS_LAMBDA_FUNCTION_NAME"] = function.Name,
            ["AWS_LAMBDA_FUNCTION_VERSION"] = "$LATEST",
            ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] = function.Options.MemorySizeMb.ToString(CultureInfo.InvariantCulture),
            ["AWS_LAMBDA_RUNTIME_API"] = RuntimeApiAddress,
        };
        _console = console;
        _socketDirectory = socketDirectory;
        _concurrency = function.Options.ReservedConcurrency ?? accountConcurrency;
        _initTimeout = initTimeout;
        ReadinessPath = environment.GetValueOrDefault("AWS_LWA_READINESS_CHECK_PATH") ?? DefaultReadinessPath;
        PassThroughPath = environment.GetValueOrDefault("AWS_LWA_PASS_THROUGH_PATH") ?? DefaultPassThroughPath;
        _isError = ErrorStatusCodes(environment.GetValueOrDefault("AWS_LWA_ERROR_STATUS_CODES"));
        Directory.CreateDirectory(socketDirectory);
        var sweep = TimeSpan.FromSeconds(Math.Clamp(function.Options.IdleReclaim.TotalSeconds / 4, 1, 30));
        _reclaimer = new Timer(_ => Reclaim(), null, sweep, sweep);
    }

    public string FunctionName => _function.Name;

    public LambdaFunctionResource Function => _function;

    /// <summary>The most sandboxes that run at once: the reserved concurrency, else the local account's limit.</summary>
    public int Concurrency => _concurrency;

    public string PassThroughPath { get; }

    public string ReadinessPath { get; }

    public LambdaFunctionStatistics Statistics { get; } = new();

    /// <summary>Raised after anything the dashboard shows changed (sandboxes, counts, durations).</summary>
    public event Action? Changed;

    /// <summary>The sandboxes' processes, and whether each is frozen.</summary>
    public IReadOnlyList<(int ProcessId, bool Frozen)> Sandboxes()
    {
        lock (_lock)
        {
            return [.. _all.Select(s => (s.ProcessId, s.Frozen))];
        }
    }

    /// <summary>Starts one sandbox ahead of any invocation, then freezes it: the function is known to start.</summary>
    public async Task WarmUpAsync(CancellationToken cancellationToken)
    {
        var sandbox = await StartSandboxAsync(cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"{FunctionName}: its program did not become ready (see its console).");
        Release(sandbox);
    }

    public async Task<LambdaInvocationResult> InvokeAsync(LambdaRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var (sandbox, refused) = await AcquireAsync(cancellationToken).ConfigureAwait(false);
        if (sandbox is null)
        {
            Statistics.Invoked(refused, TimeSpan.Zero);
            Changed?.Invoke();
            return LambdaInvocationResult.Failed(refused);
        }

        var started = Stopwatch.GetTimestamp();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_function.Options.Timeout);
        LambdaInvocationResult result;
        try
        {
            using var message = new HttpRequestMessage(request.Method, request.PathAndQuery) { Content = new ByteArrayContent(request.Body) };
            foreach (var (name, value) in request.Headers)
            {
                if (!message.Headers.TryAddWithoutValidation(name, value))
                {
                    message.Content.Headers.TryAddWithoutValidation(name, value);
                }
            }
            using var response = await sandbox.Client.SendAsync(message, deadline.Token).ConfigureAwait(false);
            var body = await response.Content.ReadAsByteArrayAsync(deadline.Token).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            result = new LambdaInvocationResult(_isError(status) ? LambdaInvocationOutcome.FunctionError : LambdaInvocationOutcome.Succeeded,
                status, [.. response.Headers.Concat(response.Content.Headers).SelectMany(h => h.Value.Select(v => KeyValuePair.Create(h.Key, v)))], body);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            LogTimedOut(_console, sandbox.Id, _function.Options.Timeout.TotalSeconds);
            Discard(sandbox);
            Statistics.Invoked(LambdaInvocationOutcome.TimedOut, Stopwatch.GetElapsedTime(started));
            Changed?.Invoke();
            return LambdaInvocationResult.Failed(LambdaInvocationOutcome.TimedOut);
        }
        catch (HttpRequestException exception)
        {
            // The program died or stopped answering mid-invocation: Lambda ends the sandbox and fails the invocation.
            LogCrashed(_console, sandbox.Id, exception.Message);
            Discard(sandbox);
            Statistics.Invoked(LambdaInvocationOutcome.Crashed, Stopwatch.GetElapsedTime(started));
            Changed?.Invoke();
            return LambdaInvocationResult.Failed(LambdaInvocationOutcome.Crashed);
        }
        catch (OperationCanceledException)
        {
            // The AppHost is stopping: the sandbox goes with it.
            Discard(sandbox);
            throw;
        }

        Statistics.Invoked(result.Outcome, Stopwatch.GetElapsedTime(started));
        Release(sandbox);
        return result;
    }

    /// <summary>Ends every sandbox; one still starting ends as soon as it sees the host gone, ready or not.</summary>
    public void Dispose()
    {
        _reclaimer.Dispose();
        lock (_lock)
        {
            _disposed = true;
            foreach (var sandbox in _all)
            {
                sandbox.Dispose();
            }
            _all.Clear();
            _idle.Clear();
        }
    }

    /// <summary>A sandbox for one invocation, or none and why: throttled at the cap, or a new one that failed its init.</summary>
    private async Task<(LambdaSandbox? Sandbox, LambdaInvocationOutcome Refused)> AcquireAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (_disposed)
            {
                // The AppHost is stopping: no new sandbox outlives it.
                return (null, LambdaInvocationOutcome.Crashed);
            }
            while (_idle.TryPop(out var idle))
            {
                if (!idle.HasExited)
                {
                    idle.Thaw();
                    Changed?.Invoke();
                    return (idle, default);
                }
                // Killed while frozen: Lambda would have replaced it; so does the next start below.
                _all.Remove(idle);
                idle.Dispose();
            }
            if (_all.Count + _starting >= _concurrency)
            {
                return (null, LambdaInvocationOutcome.Throttled);
            }
            _starting++;
        }
        var started = await StartSandboxAsync(cancellationToken, reserved: true).ConfigureAwait(false);
        return (started, LambdaInvocationOutcome.Crashed);
    }

    /// <summary>A new sandbox, ready (its readiness check answered below 500, as the adapter checks), or null.</summary>
    private async Task<LambdaSandbox?> StartSandboxAsync(CancellationToken cancellationToken, bool reserved = false)
    {
        if (!reserved)
        {
            lock (_lock)
            {
                _starting++;
            }
        }
        var id = $"{FunctionName}-{Interlocked.Increment(ref _next).ToString(CultureInfo.InvariantCulture)}";
        var started = Stopwatch.GetTimestamp();
        var sandbox = LambdaSandbox.Start(id, _function.Program, _function.WorkingDirectory, _socketDirectory, _environment, _console);
        var ready = false;
        var kept = false;
        try
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(_initTimeout);
            while (!ready && !sandbox.HasExited && !_disposed)
            {
                try
                {
                    using var response = await sandbox.Client.GetAsync(ReadinessPath, deadline.Token).ConfigureAwait(false);
                    ready = (int)response.StatusCode < 500;
                }
                catch (HttpRequestException)
                {
                    // Not listening yet.
                }
                if (!ready)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(50), deadline.Token).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            LogInitTimedOut(_console, id, _initTimeout.TotalSeconds);
        }
        finally
        {
            lock (_lock)
            {
                _starting--;
                // Not once the host is disposed: it has ended the sandboxes it knows, and would never end this one.
                kept = ready && !_disposed;
                if (kept)
                {
                    _all.Add(sandbox);
                }
            }
            if (!kept)
            {
                // Whatever ended the start (not ready in time, the program gone, a cancelled invocation, the AppHost
                // stopping), its process goes with it.
                sandbox.Dispose();
                Changed?.Invoke();
            }
        }
        if (!kept)
        {
            return null;
        }
        var init = Stopwatch.GetElapsedTime(started);
        Statistics.Initialized(init);
        LogInitialized(_console, id, sandbox.ProcessId, init.TotalMilliseconds);
        Changed?.Invoke();
        return sandbox;
    }

    private void Release(LambdaSandbox sandbox)
    {
        lock (_lock)
        {
            sandbox.Freeze();
            sandbox.IdleSince = DateTimeOffset.UtcNow;
            _idle.Push(sandbox);
        }
        Changed?.Invoke();
    }

    private void Discard(LambdaSandbox sandbox)
    {
        lock (_lock)
        {
            _all.Remove(sandbox);
        }
        sandbox.Dispose();
        Changed?.Invoke();
    }

    private void Reclaim()
    {
        var reclaimed = false;
        lock (_lock)
        {
            var now = DateTimeOffset.UtcNow;
            // The most recently used stay on top of the stack; the ones idle longest are at the bottom.
            var keep = _idle.Reverse().Where(s => now - s.IdleSince < _function.Options.IdleReclaim && !s.HasExited).ToList();
            foreach (var sandbox in _idle.Except(keep).ToList())
            {
                _all.Remove(sandbox);
                sandbox.Dispose();
                reclaimed = true;
            }
            _idle.Clear();
            foreach (var sandbox in keep)
            {
                _idle.Push(sandbox);
            }
        }
        if (reclaimed)
        {
            Changed?.Invoke();
        }
    }

    /// <summary><c>AWS_LWA_ERROR_STATUS_CODES</c>: "500-599" or "500,502-504"; none set, no status is an error.</summary>
    internal static Func<int, bool> ErrorStatusCodes(string? setting)
    {
        var ranges = new List<(int From, int To)>();
        foreach (var part in (setting ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var bounds = part.Split('-', 2, StringSplitOptions.TrimEntries);
            var from = int.Parse(bounds[0], CultureInfo.InvariantCulture);
            ranges.Add((from, bounds.Length == 2 ? int.Parse(bounds[1], CultureInfo.InvariantCulture) : from));
        }
        return status => ranges.Exists(r => status >= r.From && status <= r.To);
    }

    [LoggerMessage(LogLevel.Information, "Sandbox {Sandbox} (process {ProcessId}) ready after an init of {InitMilliseconds:F0} ms")]
    private static partial void LogInitialized(ILogger logger, string sandbox, int processId, double initMilliseconds);

    [LoggerMessage(LogLevel.Error, "Sandbox {Sandbox} was not ready within {Seconds} s: ended")]
    private static partial void LogInitTimedOut(ILogger logger, string sandbox, double seconds);

    [LoggerMessage(LogLevel.Error, "Sandbox {Sandbox}: the invocation passed the function's timeout of {Seconds} s; the sandbox is killed")]
    private static partial void LogTimedOut(ILogger logger, string sandbox, double seconds);

    [LoggerMessage(LogLevel.Error, "Sandbox {Sandbox} failed during the invocation ({Reason}); the sandbox is ended")]
    private static partial void LogCrashed(ILogger logger, string sandbox, string reason);
}
