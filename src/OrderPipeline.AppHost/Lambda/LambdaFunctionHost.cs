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
    private readonly LambdaInvocationTracing _tracing;
    private int _starting;
    private int _next;
    private volatile bool _disposed;

    public LambdaFunctionHost(LambdaFunctionResource function, IReadOnlyDictionary<string, string> environment, ILogger console,
        string socketDirectory, int accountConcurrency, TimeSpan initTimeout)
    {
        _function = function;
        // The variables Lambda itself sets in every sandbox (and AWS_LAMBDA_RUNTIME_API, each sandbox its own).
        var sandboxEnvironment = new Dictionary<string, string>(environment, StringComparer.Ordinal)
        {
            ["AWS_LAMBDA_FUNCTION_NAME"] = function.Name,
            ["AWS_LAMBDA_FUNCTION_VERSION"] = "$LATEST",
            ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] = function.Options.MemorySizeMb.ToString(CultureInfo.InvariantCulture),
        };
        if (sandboxEnvironment.ContainsKey("OTEL_SERVICE_NAME"))
        {
            // Aspire leaves the name as a template DCP fills in when it launches a process; the host launches these.
            sandboxEnvironment["OTEL_SERVICE_NAME"] = function.Name;
        }
        _environment = sandboxEnvironment;
        _tracing = new LambdaInvocationTracing(function.Name, sandboxEnvironment);
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

    /// <summary>The processes of the sandboxes serving an invocation right now (the others are idle, most of them frozen).</summary>
    public IReadOnlyList<int> BusySandboxes()
    {
        lock (_lock)
        {
            return [.. _all.Except(_idle).Select(s => s.ProcessId)];
        }
    }

    /// <summary>Starts one sandbox ahead of any invocation, then freezes it: the function is known to start.</summary>
    public async Task WarmUpAsync(CancellationToken cancellationToken)
    {
        var sandbox = await StartSandboxAsync(cancellationToken).ConfigureAwait(false);
        if (sandbox is null)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            throw new InvalidOperationException($"{FunctionName}: its program did not become ready (see its console).");
        }
        Release(sandbox);
    }

    public async Task<LambdaInvocationResult> InvokeAsync(LambdaRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var (sandbox, refused, cold) = await AcquireAsync(cancellationToken).ConfigureAwait(false);
        if (sandbox is null)
        {
            Statistics.Invoked(refused, TimeSpan.Zero);
            Changed?.Invoke();
            return LambdaInvocationResult.Failed(refused);
        }

        var started = Stopwatch.GetTimestamp();
        var requestId = Guid.NewGuid().ToString();
        var deadlineAt = DateTimeOffset.UtcNow + _function.Options.Timeout;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_function.Options.Timeout);
        var headers = request.Headers.ToList();
        var span = _tracing.Start(request, requestId, cold, headers);
        LambdaInvocationResult result;
        try
        {
            using var message = new HttpRequestMessage(request.Method, request.PathAndQuery) { Content = new ByteArrayContent(request.Body) };
            foreach (var (name, value) in headers)
            {
                if (!message.Headers.TryAddWithoutValidation(name, value))
                {
                    message.Content.Headers.TryAddWithoutValidation(name, value);
                }
            }
            message.Headers.Remove(LambdaContext.Header);
            message.Headers.TryAddWithoutValidation(LambdaContext.Header, LambdaContext.Json(requestId, deadlineAt, _function));
            sandbox.Extensions.Invoke(requestId, deadlineAt);
            using var response = await sandbox.Client.SendAsync(message, deadline.Token).ConfigureAwait(false);
            var body = await response.Content.ReadAsByteArrayAsync(deadline.Token).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            result = new LambdaInvocationResult(_isError(status) ? LambdaInvocationOutcome.FunctionError : LambdaInvocationOutcome.Succeeded,
                status, [.. response.Headers.Concat(response.Content.Headers).SelectMany(h => h.Value.Select(v => KeyValuePair.Create(h.Key, v)))], body);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && !_disposed)
        {
            LogTimedOut(_console, sandbox.Id, _function.Options.Timeout.TotalSeconds);
            LambdaInvocationTracing.End(span, LambdaInvocationOutcome.TimedOut, 0);
            Discard(sandbox);
            Statistics.Invoked(LambdaInvocationOutcome.TimedOut, Stopwatch.GetElapsedTime(started));
            Changed?.Invoke();
            return LambdaInvocationResult.Failed(LambdaInvocationOutcome.TimedOut);
        }
        catch (HttpRequestException exception)
        {
            // The program died or stopped answering mid-invocation: Lambda ends the sandbox and fails the invocation.
            LogCrashed(_console, sandbox.Id, exception.Message);
            LambdaInvocationTracing.End(span, LambdaInvocationOutcome.Crashed, 0);
            Discard(sandbox);
            Statistics.Invoked(LambdaInvocationOutcome.Crashed, Stopwatch.GetElapsedTime(started));
            Changed?.Invoke();
            return LambdaInvocationResult.Failed(LambdaInvocationOutcome.Crashed);
        }
        catch (OperationCanceledException)
        {
            // The AppHost is stopping (or the host was disposed, which ended the sandbox's client): the sandbox goes with it.
            LambdaInvocationTracing.End(span, LambdaInvocationOutcome.Crashed, 0);
            Discard(sandbox);
            throw;
        }

        Statistics.Invoked(result.Outcome, Stopwatch.GetElapsedTime(started));
        LambdaInvocationTracing.End(span, result.Outcome, result.StatusCode);
        _ = ReleaseWhenExtensionsDoneAsync(sandbox, deadlineAt);
        return result;
    }

    public void Dispose()
    {
        _reclaimer.Dispose();
        _tracing.Dispose();
        lock (_lock)
        {
            // A sandbox still starting sees this and ends instead of joining.
            _disposed = true;
            foreach (var sandbox in _all)
            {
                sandbox.Dispose();
            }
            _all.Clear();
            _idle.Clear();
        }
    }

    /// <summary>
    /// A sandbox for one invocation and whether it was started for it (a cold start), or none and why: throttled at the
    /// cap, or a new one that failed its init.
    /// </summary>
    private async Task<(LambdaSandbox? Sandbox, LambdaInvocationOutcome Refused, bool Cold)> AcquireAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            while (_idle.TryPop(out var idle))
            {
                if (!idle.HasExited)
                {
                    idle.Thaw();
                    Changed?.Invoke();
                    return (idle, default, false);
                }
                // Killed while frozen: Lambda would have replaced it; so does the next start below.
                _all.Remove(idle);
                idle.Dispose();
            }
            if (_all.Count + _starting >= _concurrency)
            {
                return (null, LambdaInvocationOutcome.Throttled, false);
            }
            _starting++;
        }
        var started = await StartSandboxAsync(cancellationToken, reserved: true).ConfigureAwait(false);
        return (started, LambdaInvocationOutcome.Crashed, true);
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
        LambdaExtensionsApi? extensions = null;
        LambdaSandbox sandbox;
        try
        {
            extensions = await LambdaExtensionsApi.StartAsync(FunctionName, "$LATEST", cancellationToken).ConfigureAwait(false);
            sandbox = LambdaSandbox.Start(id, _function.Program, _function.WorkingDirectory, _socketDirectory, _environment, extensions, _console);
        }
        catch
        {
            if (extensions is not null)
            {
                await extensions.DisposeAsync().ConfigureAwait(false);
            }
            lock (_lock)
            {
                _starting--;
            }
            throw;
        }
        var ready = false;
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
            if (ready)
            {
                // Init ends once the program is ready and every extension it registered waits for its next event.
                ready = false;
                sandbox.Extensions.CloseRegistration();
                await sandbox.Extensions.AllWaitingAsync(deadline.Token).ConfigureAwait(false);
                ready = true;
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
                ready &= !_disposed;
                if (ready)
                {
                    _all.Add(sandbox);
                }
            }
            // Not ready, the start canceled (the AppHost stopping) or the host disposed meanwhile: the process goes too.
            if (!ready)
            {
                sandbox.Dispose();
                Changed?.Invoke();
            }
        }
        if (!ready)
        {
            return null;
        }
        var init = Stopwatch.GetElapsedTime(started);
        Statistics.Initialized(init);
        LogInitialized(_console, id, sandbox.ProcessId, init.TotalMilliseconds);
        Changed?.Invoke();
        return sandbox;
    }

    /// <summary>
    /// After the answer, the sandbox stays busy until its extensions have called for their next event (a telemetry
    /// extension flushing, say), within the invocation's deadline; then it is released and frozen. Past the deadline
    /// Lambda ends the sandbox, and so does this.
    /// </summary>
    private async Task ReleaseWhenExtensionsDoneAsync(LambdaSandbox sandbox, DateTimeOffset deadline)
    {
        var answered = Stopwatch.GetTimestamp();
        var left = deadline - DateTimeOffset.UtcNow;
        using var timeout = new CancellationTokenSource(left > TimeSpan.Zero ? left : TimeSpan.Zero);
        try
        {
            await sandbox.Extensions.AllWaitingAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            LogExtensionsTimedOut(_console, sandbox.Id, _function.Options.Timeout.TotalSeconds);
            Statistics.ExtensionsTimedOut();
            Discard(sandbox);
            return;
        }
        Statistics.ExtensionsDone(Stopwatch.GetElapsedTime(answered));
        Release(sandbox);
    }

    /// <summary>Puts the sandbox back among the idle ones, frozen at once, as Lambda freezes it when nothing is left to run.</summary>
    private void Release(LambdaSandbox sandbox)
    {
        lock (_lock)
        {
            if (_disposed || !_all.Contains(sandbox))
            {
                return;
            }
            sandbox.IdleSince = DateTimeOffset.UtcNow;
            _idle.Push(sandbox);
            sandbox.Freeze();
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

    [LoggerMessage(LogLevel.Error, "Sandbox {Sandbox}: its extensions were still busy at the function's timeout of {Seconds} s; the sandbox is killed")]
    private static partial void LogExtensionsTimedOut(ILogger logger, string sandbox, double seconds);

    [LoggerMessage(LogLevel.Error, "Sandbox {Sandbox} failed during the invocation ({Reason}); the sandbox is ended")]
    private static partial void LogCrashed(ILogger logger, string sandbox, string reason);
}
