using Microsoft.Extensions.Time.Testing;

namespace OrderPipeline.UnitTests.Support;

/// <summary>
/// A <see cref="FakeTimeProvider"/> that shows what waits on it: how many timers the code under test started (a
/// coalescing window, a retry delay, a deadline) and when those still to fire will. A test waits until the code waits
/// on the clock, then moves the clock on, instead of sleeping while real time passes.
/// </summary>
public sealed class WatchedClock : FakeTimeProvider
{
    private readonly Lock _lock = new();
    private readonly HashSet<WatchedTimer> _pending = [];
    private int _started;

    /// <summary>How many timers were started on this clock so far.</summary>
    public int TimersStarted => Volatile.Read(ref _started);

    /// <summary>When the timers still to fire will, earliest first.</summary>
    public IReadOnlyList<DateTimeOffset> WakeUps
    {
        get
        {
            lock (_lock)
            {
                return [.. _pending.Select(t => t.WakeUp).Order()];
            }
        }
    }

    /// <summary>Moves the clock to the first wake-up, firing what is due then and nothing later.</summary>
    public void AdvanceToFirstWakeUp() => SetUtcNow(WakeUps[0]);

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        Interlocked.Increment(ref _started);
        var timer = new WatchedTimer(this);
        timer.Schedule(dueTime, period);
        // A timer due at once fires inside CreateTimer: Fired needs nothing that is set after it.
        timer.Inner = base.CreateTimer(
            s =>
            {
                timer.Fired();
                callback(s);
            },
            state,
            dueTime,
            period);
        return timer;
    }

    /// <summary>Keeps this clock's account of when the timer wakes up in step with the fake one it wraps.</summary>
    private sealed class WatchedTimer(WatchedClock clock) : ITimer
    {
        private TimeSpan _period;

        public ITimer? Inner { get; set; }

        public DateTimeOffset WakeUp { get; private set; }

        public void Schedule(TimeSpan dueTime, TimeSpan period)
        {
            lock (clock._lock)
            {
                _period = period;
                if (dueTime == Timeout.InfiniteTimeSpan)
                {
                    clock._pending.Remove(this);
                }
                else
                {
                    WakeUp = clock.GetUtcNow() + WholeMilliseconds(dueTime);
                    clock._pending.Add(this);
                }
            }
        }

        public void Fired()
        {
            lock (clock._lock)
            {
                if (_period == Timeout.InfiniteTimeSpan || _period == TimeSpan.Zero)
                {
                    clock._pending.Remove(this);
                }
                else if (clock._pending.Contains(this))
                {
                    WakeUp = clock.GetUtcNow() + WholeMilliseconds(_period);
                }
            }
        }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            Schedule(dueTime, period);
            return Inner!.Change(dueTime, period);
        }

        public void Dispose()
        {
            lock (clock._lock)
            {
                clock._pending.Remove(this);
            }
            Inner?.Dispose();
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }

        // The fake clock counts in whole milliseconds, as the system's timers do.
        private static TimeSpan WholeMilliseconds(TimeSpan span) => TimeSpan.FromMilliseconds((long)span.TotalMilliseconds);
    }
}
