using OrderPipeline.Benchmarks;

namespace OrderPipeline.UnitTests;

/// <summary>
/// The benchmarks' Lambda cost arithmetic (bench/OrderPipeline.Benchmarks/LambdaCost.cs, compiled in): GB-seconds and
/// dollars from init, duration, memory and invocations, and a phase's mean from the dashboard's running means.
/// </summary>
[Trait("Category", "Unit")]
public sealed class LambdaCostTests
{
    [Fact]
    public void A_function_invoked_once_an_order_is_billed_each_duration_and_extensions_rounded_up_and_each_init_at_its_memory()
    {
        // 1,000 invocations of 8 ms to the answer and 1.5 ms of extensions after it (billed 10 on average) and 2 inits
        // of 400 ms, at 512 MB: (10,000 + 800) ms × 0.5 GB.
        var cost = new FunctionCost("create-order", MemoryMb: 512, Invocations: 1000, ColdStarts: 2, MeanInitMs: 400, MeanDurationMs: 8,
            MeanExtensionsMs: 1.5, Orders: 1000);

        Assert.Equal(10.0, cost.BilledMs, 9);
        Assert.Equal(1.0, cost.OrdersPerInvocation, 9);
        Assert.Equal(5.4, cost.GbSeconds, 9);
        Assert.Equal(5.4, cost.GbSecondsPerThousandOrders, 9);
        // 5.4 GB-s × $0.0000133334 + 1,000 requests × $0.20 per million, for 1,000 orders, times a million.
        Assert.Equal(0.27200036, cost.DollarsPerMillionOrders, 8);
    }

    [Fact]
    public void A_function_invoked_per_batch_shares_each_invocation_among_the_batchs_orders()
    {
        var cost = new FunctionCost("order-processor", MemoryMb: 1024, Invocations: 100, ColdStarts: 0, MeanInitMs: 900, MeanDurationMs: 45.5,
            MeanExtensionsMs: 4, Orders: 1000);

        Assert.Equal(10.0, cost.OrdersPerInvocation, 9);
        // 100 × 50 ms at 1 GB; no cold start, so the init does not count.
        Assert.Equal(5.0, cost.GbSeconds, 9);
        Assert.Equal(5.0, cost.GbSecondsPerThousandOrders, 9);
        Assert.Equal((5.0 * 0.0000133334 + 100 * 0.20 / 1_000_000) / 1000 * 1_000_000, cost.DollarsPerMillionOrders, 12);
        Assert.Equal(0.086667, cost.DollarsPerMillionOrders, 6);
    }

    [Fact]
    public void Memory_scales_the_duration_not_the_requests()
    {
        var half = new FunctionCost("f", 256, 1000, 0, 0, 19.5, 0, 1000);
        var full = half with { MemoryMb = 512 };

        Assert.Equal(2 * half.GbSeconds, full.GbSeconds, 9);
        Assert.Equal(half.DollarsPerMillionOrders - 0.20, (full.DollarsPerMillionOrders - 0.20) / 2, 9);
    }

    [Fact]
    public void A_schedule_once_a_minute_is_43800_invocations_a_month_whatever_the_load()
    {
        var relay = new ScheduleCost("order-processor", 512, TimeSpan.FromMinutes(1), MeanDurationMs: 19.5);

        Assert.Equal(43_800, relay.InvocationsPerMonth, 9);
        // 43,800 × 20 ms × 0.5 GB = 438 GB-s; plus 43,800 requests at $0.20 per million.
        Assert.Equal(438, relay.GbSecondsPerMonth, 9);
        Assert.Equal(438 * 0.0000133334 + 0.00876, relay.DollarsPerMonth, 12);
    }

    [Fact]
    public void A_phases_mean_is_the_difference_of_the_running_totals_within_the_rounding_of_the_readings()
    {
        // 2,000 invocations at a mean of 12 ms, then 3,000 more: the mean over all 5,000 is 10 ms, so the 3,000 took 8.67.
        Assert.Equal(26_000.0 / 3000, RunningMeans.Between(12, 2000, 10, 5000), 9);
        Assert.Equal(0.5 * 7000 / 3000, RunningMeans.RoundingBound(2000, 5000), 9);

        // Nothing before: the running mean is the phase's, to within the reading's half millisecond.
        Assert.Equal(10, RunningMeans.Between(0, 0, 10, 5000), 9);
        Assert.Equal(0.5, RunningMeans.RoundingBound(0, 5000), 9);

        Assert.True(double.IsNaN(RunningMeans.Between(10, 5000, 10, 5000)));
    }
}
