using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using OrderPipeline.Messaging.Outages;
using OrderPipeline.Messaging.Telemetry;
using OrderPipeline.Tests.Shared;
using OrderPipeline.Outages;

namespace OrderPipeline.UnitTests.Outages;

[Trait("Category", "Unit")]
public sealed class OutageBreakerTests : IDisposable
{
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly MessagingTelemetry _telemetry;

    public OutageBreakerTests() =>
        _telemetry = new MessagingTelemetry(_services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>());

    public void Dispose()
    {
        _telemetry.Dispose();
        _services.Dispose();
    }

    /// <summary>Down until told otherwise; counts probes and how many ran at once.</summary>
    internal sealed class ScriptedDetector : IOutageDetector
    {
        private int _probing;
        private int _maxConcurrentProbes;
        private int _probes;

        public volatile bool Up;

        public int Probes => Volatile.Read(ref _probes);

        public int MaxConcurrentProbes => Volatile.Read(ref _maxConcurrentProbes);

        public bool IsOutage(Exception exception) => exception is TimeoutException;

        public async Task<bool> ProbeAsync(CancellationToken cancellationToken)
        {
            var now = Interlocked.Increment(ref _probing);
            InterlockedMax(ref _maxConcurrentProbes, now);
            Interlocked.Increment(ref _probes);
            await Task.Yield();
            Interlocked.Decrement(ref _probing);
            return Up;
        }

        private static void InterlockedMax(ref int target, int value)
        {
            for (var current = Volatile.Read(ref target); value > current; current = Volatile.Read(ref target))
            {
                if (Interlocked.CompareExchange(ref target, value, current) == current)
                {
                    break;
                }
            }
        }
    }

    internal static OutageOptions QuickProbes => new() { FirstProbeDelay = TimeSpan.FromMilliseconds(1), MaxProbeDelay = TimeSpan.FromMilliseconds(5) };

    private OutageBreaker Breaker(IOutageDetector detector) =>
        new(detector, Options.Create(QuickProbes), _telemetry, TimeProvider.System, NullLogger<OutageBreaker>.Instance);

    [Fact]
    public async Task It_starts_closed()
    {
        using var breaker = Breaker(new ScriptedDetector());
        Assert.False(breaker.IsOpen);
        Assert.True(breaker.WaitUntilClosedAsync(TestContext.Current.CancellationToken).IsCompleted);
        await breaker.WaitUntilClosedAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task An_outage_opens_it_until_a_probe_succeeds_and_one_prober_runs_however_often_it_is_opened()
    {
        var detector = new ScriptedDetector();
        using var breaker = Breaker(detector);

        breaker.Open("q1", new TimeoutException("database hung"));
        breaker.Open("q2", new TimeoutException("again, from another queue"));
        var waiting = breaker.WaitUntilClosedAsync(TestContext.Current.CancellationToken);
        Assert.True(breaker.IsOpen);

        await Eventually.AssertAsync(() => Task.FromResult(detector.Probes >= 3), TimeSpan.FromSeconds(10), "a few failed probes");
        Assert.False(waiting.IsCompleted);
        Assert.True(breaker.IsOpen);

        detector.Up = true;
        await waiting.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        Assert.False(breaker.IsOpen);
        Assert.Equal(1, detector.MaxConcurrentProbes);
    }

    [Fact]
    public async Task It_opens_again_after_closing()
    {
        var detector = new ScriptedDetector { Up = true };
        using var breaker = Breaker(detector);
        breaker.Open("q", new TimeoutException());
        await breaker.WaitUntilClosedAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);

        detector.Up = false;
        breaker.Open("q", new TimeoutException());
        Assert.True(breaker.IsOpen);
        detector.Up = true;
        await breaker.WaitUntilClosedAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        Assert.False(breaker.IsOpen);
    }

    [Fact]
    public void Probes_back_off_from_half_a_second_to_fifteen()
    {
        var defaults = new OutageOptions();
        Assert.Equal([0.5, 1, 2, 4, 8, 15, 15], Enumerable.Range(1, 7).Select(a => OutageBreaker.ProbeDelay(defaults, a).TotalSeconds));
    }
}
