namespace OrderPipeline.AppHost.Lambda;

/// <summary>What a function's dashboard entry shows: invocations by outcome, init times and durations.</summary>
internal sealed class LambdaFunctionStatistics
{
    private readonly Lock _lock = new();
    private long _durationTicks;
    private long _initTicks;
    private long _extensionsTicks;
    private long _extensionsDone;

    public long Invocations { get; private set; }

    /// <summary>Invocations that failed: a function error, a timeout or a crash (Lambda's Errors metric).</summary>
    public long Errors { get; private set; }

    public long Throttles { get; private set; }

    public long Timeouts { get; private set; }

    public long ColdStarts { get; private set; }

    public TimeSpan LastInit { get; private set; }

    public TimeSpan AverageInit => ColdStarts == 0 ? TimeSpan.Zero : TimeSpan.FromTicks(_initTicks / ColdStarts);

    public TimeSpan LastDuration { get; private set; }

    /// <summary>The mean duration of the invocations that ran (throttled ones did not).</summary>
    public TimeSpan AverageDuration => Invocations - Throttles == 0 ? TimeSpan.Zero : TimeSpan.FromTicks(_durationTicks / (Invocations - Throttles));

    /// <summary>How long the extensions worked after the last answer (Lambda's PostRuntimeExtensionsDuration); billed too.</summary>
    public TimeSpan LastExtensions { get; private set; }

    public TimeSpan AverageExtensions => _extensionsDone == 0 ? TimeSpan.Zero : TimeSpan.FromTicks(_extensionsTicks / _extensionsDone);

    public void ExtensionsDone(TimeSpan duration)
    {
        lock (_lock)
        {
            _extensionsDone++;
            _extensionsTicks += duration.Ticks;
            LastExtensions = duration;
        }
    }

    /// <summary>The extensions passed the function's timeout after the answer: Lambda counts the invocation as timed out.</summary>
    public void ExtensionsTimedOut()
    {
        lock (_lock)
        {
            Timeouts++;
            Errors++;
        }
    }

    public void Initialized(TimeSpan init)
    {
        lock (_lock)
        {
            ColdStarts++;
            _initTicks += init.Ticks;
            LastInit = init;
        }
    }

    public void Invoked(LambdaInvocationOutcome outcome, TimeSpan duration)
    {
        lock (_lock)
        {
            Invocations++;
            switch (outcome)
            {
                case LambdaInvocationOutcome.Throttled:
                    Throttles++;
                    return;
                case LambdaInvocationOutcome.TimedOut:
                    Timeouts++;
                    Errors++;
                    break;
                case LambdaInvocationOutcome.FunctionError or LambdaInvocationOutcome.Crashed:
                    Errors++;
                    break;
            }
            _durationTicks += duration.Ticks;
            LastDuration = duration;
        }
    }
}
