using OrderPipeline.Benchmarks;
using OrderPipeline.Testing;

namespace OrderPipeline.FunctionalTests.Benchmarks;

/// <summary>
/// The benchmarks' <c>--lambda</c> run on a tiny count: that it runs against the system in its Lambda shape and gives
/// every function's figures and the report's section, which replaces only its own part of docs/benchmarks.md. Not a
/// timed test: nothing here depends on how fast it was. It owns its system, so it runs with the suite's, alone.
/// </summary>
[Collection(BenchmarkSuiteCollection.Name)]
public sealed class LambdaCostBenchmarkTests
{
    [Fact]
    public async Task On_a_small_count_the_Lambda_run_gives_every_functions_cost_and_its_section_of_the_report()
    {
        var progress = new StringWriter();
        var (result, section) = await LambdaCostBenchmark.MeasureAsync(
            new SuiteOptions(Orders: 40, Clients: 4, WarmUp: 40, Lambda: true, Small: true), progress, TestContext.Current.CancellationToken);
        TestContext.Current.TestOutputHelper?.WriteLine(progress.ToString());

        Assert.True(result.Passed, "stock not conserved, or an invocation failed");
        Assert.Equal(["create-order", "notification-sender", "order-processor"], result.Functions.Select(f => f.Cost.Function).Order(StringComparer.Ordinal));
        Assert.All(result.Functions, f =>
        {
            Assert.Equal(result.Recorded, f.Cost.Orders);
            Assert.True(f.Cost.Invocations > 0, $"{f.Cost.Function}: no invocation counted");
            Assert.True(f.ColdStartsSinceStart > 0 && f.Cost.MeanInitMs > 0, $"{f.Cost.Function}: no init counted");
            Assert.True(f.Cost.MeanDurationMs > 0 && f.Cost.GbSecondsPerThousandOrders > 0, $"{f.Cost.Function}: no duration");
        });
        // Every order posted is recorded (more only when a 503 was retried), and with POSTs only, each took one
        // create-order invocation (a throttled one is retried and not counted; a 503's may have placed nothing).
        Assert.True(result.Recorded >= 40, $"{result.Recorded} orders recorded");
        if (result.Unavailable == 0)
        {
            Assert.Equal(1.0, result.Functions.Single(f => f.Cost.Function == "create-order").Cost.OrdersPerInvocation, 9);
        }
        Assert.Equal(2, result.RelayDurationsMs.Count);
        Assert.True(result.Relay.DollarsPerMonth > 0);

        Assert.StartsWith(LambdaCostReport.Heading + "\n", section, StringComparison.Ordinal);
        Assert.Contains("| **all three** |", section, StringComparison.Ordinal);

        // Written into a document with the laptop suite's report and an older Lambda section: only that section changes.
        const string Laptop = "# Benchmarks\n\nthe suite's figures\n";
        var existing = Laptop + "\n" + LambdaCostReport.Heading + "\n\nan older run\n";
        var merged = ReportSections.Merge(existing, LambdaCostReport.Heading, section, isSection: true);
        Assert.Equal(Laptop + "\n" + section, merged);
        // The laptop suite's next run: its part is new, the Lambda section stays as it was.
        const string NewLaptop = "# Benchmarks\n\nthe suite's new figures\n";
        Assert.Equal(NewLaptop + "\n" + section, ReportSections.Merge(merged, LambdaCostReport.Heading, NewLaptop, isSection: false));
    }
}
