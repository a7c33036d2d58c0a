using Microsoft.Extensions.Logging;

namespace OrderPipeline.AppHost.Lambda.Schedules;

/// <summary>
/// Runs a schedule: every rate (the first one rate after <see cref="RunAsync"/> starts) it invokes the function with the
/// input, as EventBridge Scheduler's asynchronous invoke does: no retries, and the next tick does not wait for the run.
/// Locally one run at a time: a tick that comes while a run is under way is skipped and counted.
/// </summary>
internal sealed class LambdaScheduleRunner
{
    private readonly ILambdaInvoker _invoker;
    private readonly string _input;
    private readonly TimeSpan _rate;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private Snapshot _state = new(0, 0, 0, null, null, Running: false);
    private volatile Task _run = Task.CompletedTask;

    /// <summary>A runner of <paramref name="input"/> into the function behind <paramref name="invoker"/> every <paramref name="rate"/>.</summary>
    public LambdaScheduleRunner(ILambdaInvoker invoker, string input, TimeSpan rate, ILogger logger, TimeProvider? timeProvider = null)
    {
        _invoker = invoker ?? throw new ArgumentNullException(nameof(invoker));
        _input = input ?? throw new ArgumentNullException(nameof(input));
        _rate = rate > TimeSpan.Zero ? rate : throw new ArgumentOutOfRangeException(nameof(rate), rate, "A rate is positive.");
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>What the schedule has done so far.</summary>
    /// <param name="Runs">The invocations made (by the schedule and by "Run now").</param>
    /// <param name="Failures">The runs whose outcome was not <see cref="LambdaInvocationOutcome.Succeeded"/>.</param>
    /// <param name="SkippedTicks">The ticks skipped because a run was still under way.</param>
    /// <param name="LastRunTime">When the last run began.</param>
    /// <param name="LastOutcome">How the last run ended, e.g. "Succeeded (200)"; <see langword="null"/> while the first is under way.</param>
    /// <param name="Running">Whether a run is under way.</param>
    public sealed record Snapshot(long Runs, long Failures, long SkippedTicks, DateTimeOffset? LastRunTime, string? LastOutcome, bool Running);

    /// <summary>Called after each change of <see cref="Read"/> (a run began or ended, a tick was skipped).</summary>
    public event Action? Changed;

    public Snapshot Read()
    {
        lock (_lock)
        {
            return _state;
        }
    }

    /// <summary>Ticks until <paramref name="cancellationToken"/> is cancelled, then waits for the run under way (cancelled too).</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_rate, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                if (TryBegin(countSkip: true))
                {
                    // Not awaited, as an asynchronous invoke: the next tick comes on time whatever this run does.
                    _run = RunOnceAsync(cancellationToken);
                }
                else
                {
                    _logger.LogInformation("Skipped a run of {Function}: the last one is still under way", _invoker.FunctionName);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping.
        }
        await _run.ConfigureAwait(false);
    }

    /// <summary>
    /// One run now, outside the schedule, and its result; <see langword="null"/> when a run is under way (none is started)
    /// or when <paramref name="cancellationToken"/> cancelled it.
    /// </summary>
    public async Task<LambdaInvocationResult?> RunNowAsync(CancellationToken cancellationToken)
    {
        if (!TryBegin(countSkip: false))
        {
            return null;
        }
        var run = RunOnceAsync(cancellationToken);
        _run = run;
        return await run.ConfigureAwait(false);
    }

    /// <summary>Marks a run begun unless one is under way; then counts a skipped tick instead if <paramref name="countSkip"/>.</summary>
    private bool TryBegin(bool countSkip)
    {
        bool begun;
        lock (_lock)
        {
            begun = !_state.Running;
            if (begun)
            {
                _state = _state with { Runs = _state.Runs + 1, LastRunTime = _time.GetUtcNow(), Running = true };
            }
            else if (countSkip)
            {
                _state = _state with { SkippedTicks = _state.SkippedTicks + 1 };
            }
            else
            {
                return false;
            }
        }
        Changed?.Invoke();
        return begun;
    }

    /// <summary>The run <see cref="TryBegin"/> began; never throws. Its result, or <see langword="null"/> when cancelled.</summary>
    private async Task<LambdaInvocationResult?> RunOnceAsync(CancellationToken cancellationToken)
    {
        LambdaInvocationResult? result;
        try
        {
            var request = LambdaRequest.Event(_invoker.PassThroughPath, _input, LambdaTrigger.Timer);
            result = await _invoker.InvokeAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            result = null;
        }
        catch (Exception ex)
        {
            _logger.LogWarning(ex, "Invoking {Function} failed", _invoker.FunctionName);
            result = LambdaInvocationResult.Failed(LambdaInvocationOutcome.Crashed);
        }
        var outcome = result switch
        {
            null => "Cancelled",
            { StatusCode: > 0 } => $"{result.Outcome} ({result.StatusCode})",
            _ => result.Outcome.ToString(),
        };
        var failed = result is { Outcome: not LambdaInvocationOutcome.Succeeded };
        if (failed)
        {
            // No retry, as the schedule's MaximumRetryAttempts 0: the next run does the same work.
            _logger.LogWarning("The scheduled run of {Function} ended {Outcome}; it is not retried", _invoker.FunctionName, outcome);
        }
        lock (_lock)
        {
            _state = _state with { Failures = _state.Failures + (failed ? 1 : 0), LastOutcome = outcome, Running = false };
        }
        Changed?.Invoke();
        return result;
    }
}
