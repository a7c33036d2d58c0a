using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrderPipeline.Messaging.Telemetry;
using OrderPipeline.Outages;

namespace OrderPipeline.Messaging.Outages;

/// <summary>
/// One circuit breaker per process, shared by every poller of every queue: an outage opens it, and while it is open no
/// poller receives. One prober asks the <see cref="IOutageDetector"/> again and again (backing off from
/// <see cref="OutageOptions.FirstProbeDelay"/> to <see cref="OutageOptions.MaxProbeDelay"/>) and closes it.
/// Only outages open it: a bad message never pauses anything, on its queue or another.
/// </summary>
public sealed partial class OutageBreaker : IDisposable
{
    private readonly IOutageDetector _detector;
    private readonly OutageOptions _options;
    private readonly MessagingTelemetry _telemetry;
    private readonly TimeProvider _clock;
    private readonly ILogger<OutageBreaker> _logger;
    private readonly CancellationTokenSource _disposed = new();
    private readonly Lock _gate = new();

    // Completed while closed; a fresh, pending one while open. Waiters await whichever is current.
    private TaskCompletionSource _closed;
    private long _openedAt;

    public OutageBreaker(
        IOutageDetector detector,
        IOptions<OutageOptions> options,
        MessagingTelemetry telemetry,
        TimeProvider clock,
        ILogger<OutageBreaker> logger)
    {
        _detector = detector;
        _options = options.Value;
        _telemetry = telemetry;
        _clock = clock;
        _logger = logger;
        _closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _closed.SetResult();
        _telemetry.ObserveBreaker(() => IsOpen);
    }

    public bool IsOpen
    {
        get
        {
            lock (_gate)
            {
                return !_closed.Task.IsCompleted;
            }
        }
    }

    public IOutageDetector Detector => _detector;

    /// <summary>Completes at once while closed; otherwise when the prober closes it (or <paramref name="cancellationToken"/> fires).</summary>
    public Task WaitUntilClosedAsync(CancellationToken cancellationToken)
    {
        Task closed;
        lock (_gate)
        {
            closed = _closed.Task;
        }
        return closed.IsCompleted ? Task.CompletedTask : closed.WaitAsync(cancellationToken);
    }

    /// <summary>Opens the breaker because of <paramref name="cause"/> (seen on <paramref name="queue"/>); a no-op when it is open already.</summary>
    public void Open(string queue, Exception cause)
    {
        lock (_gate)
        {
            if (!_closed.Task.IsCompleted || _disposed.IsCancellationRequested)
            {
                return;
            }
            _closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _openedAt = _clock.GetTimestamp();
        }
        _telemetry.RecordBreakerOpened();
        LogOpened(_logger, cause, queue, cause.Message);
        _ = Task.Run(() => ProbeUntilCloseAsync(_disposed.Token));
    }

    /// <summary>The wait before probe number <paramref name="attempt"/> (1-based): doubling from the first delay up to the longest.</summary>
    internal static TimeSpan ProbeDelay(OutageOptions options, int attempt)
    {
        var delay = options.FirstProbeDelay.TotalMilliseconds * Math.Pow(2, Math.Min(attempt - 1, 30));
        return TimeSpan.FromMilliseconds(Math.Min(delay, options.MaxProbeDelay.TotalMilliseconds));
    }

    private async Task ProbeUntilCloseAsync(CancellationToken cancellationToken)
    {
        try
        {
            for (var attempt = 1; ; attempt++)
            {
                var delay = ProbeDelay(_options, attempt);
                await Task.Delay(delay, _clock, cancellationToken).ConfigureAwait(false);
                bool up;
                try
                {
                    up = await _detector.ProbeAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // A detector must not throw; if it does, that is one more failed probe, not a stuck breaker.
                    up = false;
                }
                if (up)
                {
                    Close(attempt);
                    return;
                }
                LogStillDown(_logger, attempt, ProbeDelay(_options, attempt + 1).TotalSeconds);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The process is stopping; the waiters are cancelled by their own tokens.
        }
    }

    private void Close(int probes)
    {
        TaskCompletionSource closed;
        TimeSpan after;
        lock (_gate)
        {
            closed = _closed;
            after = _clock.GetElapsedTime(_openedAt);
        }
        _telemetry.RecordBreakerClosed(after);
        LogClosed(_logger, after.TotalSeconds, probes);
        closed.TrySetResult();
    }

    public void Dispose()
    {
        _disposed.Cancel();
        _disposed.Dispose();
    }

    [LoggerMessage(LogLevel.Error, "Outage: consuming is paused on every queue of this process after a failure on {Queue} "
        + "that is not about the message: {Cause}. Messages in flight are held, not given back")]
    private static partial void LogOpened(ILogger logger, Exception exception, string queue, string cause);

    [LoggerMessage(LogLevel.Warning, "Outage continues: probe {Probe} failed; probing again in {DelaySeconds} s")]
    private static partial void LogStillDown(ILogger logger, int probe, double delaySeconds);

    [LoggerMessage(LogLevel.Warning, "Outage over after {Seconds:0.0} s ({Probes} probes): consuming resumes and held messages are retried")]
    private static partial void LogClosed(ILogger logger, double seconds, int probes);
}
