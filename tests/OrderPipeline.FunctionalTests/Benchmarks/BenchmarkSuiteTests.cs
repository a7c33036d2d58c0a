using OrderPipeline.Benchmarks;

namespace OrderPipeline.FunctionalTests.Benchmarks;

/// <summary>
/// The benchmark suite (bench/OrderPipeline.Benchmarks --suite) on a tiny count: that it runs against the system it
/// starts and produces every figure and the report. Not a timed test: nothing here depends on how fast it was. It owns
/// its system and samples every process below the test host, so it runs alone, after the parallel collections.
/// </summary>
[Collection(BenchmarkSuiteCollection.Name)]
public sealed class BenchmarkSuiteTests
{
    [Fact]
    public async Task On_a_small_count_the_suite_produces_every_figure_and_the_report()
    {
        var progress = new StringWriter();
        var (result, report) = await BenchmarkSuite.MeasureAsync(
            new SuiteOptions(Orders: 50, Clients: 4, QueueMessages: 100, WarmUp: 50, Duration: 3), progress, TestContext.Current.CancellationToken);
        TestContext.Current.TestOutputHelper?.WriteLine(progress.ToString());

        Assert.Equal(SuiteOptions.DatabaseConnections, result.Database.Select(d => d.Connections));
        Assert.All(result.Database, d => AssertFigure(d.OrdersPerSecond, $"raw database at {d.Connections}"));
        Assert.Equal(SuiteOptions.DatabaseConnections, result.MinimalDatabase.Select(d => d.Connections));
        Assert.All(result.MinimalDatabase, d => AssertFigure(d.OrdersPerSecond, $"raw database, minimal transaction, at {d.Connections}"));
        AssertFigure(result.Queue.SingleSendsPerSecond, "raw single sends");
        AssertFigure(result.Queue.BatchMessagesPerSecond, "raw batch sends");

        // The sustained closed and open loops, then the spread and hot bursts.
        Assert.Equal(4, result.System.Count);
        Assert.Contains("sustained closed loop", result.Closed.Run.Load, StringComparison.Ordinal);
        Assert.Contains("sustained open loop", result.Open.Run.Load, StringComparison.Ordinal);
        Assert.All(result.System, s =>
        {
            foreach (var (name, value) in new[]
            {
                ("accepted/s", s.AcceptedPerSecond), ("settled/s", s.SettledPerSecond), ("POST p50", s.PostP50Ms), ("POST p99", s.PostP99Ms),
                ("accepted→PROCESSED p50", s.ToProcessedP50Ms), ("accepted→PROCESSED p99", s.ToProcessedP99Ms),
                ("settled ÷ raw database", result.SettledToRawDatabase(s)), ("settled ÷ minimal raw database", result.SettledToMinimalDatabase(s)),
                ("accepted ÷ raw queue", result.AcceptedToRawQueue(s)),
                ("orders per Processor transaction", s.ProcessorBatch),
            })
            {
                AssertFigure(value, $"{s.Scenario}, {s.Load}: {name}");
            }
            Assert.True(s.StockConserved, $"{s.Scenario}, {s.Load}: stock not conserved");
        });

        // The dashboard is on by default, as the README runs the system, and is sampled like every other process.
        foreach (var service in new[] { "api", "processor", "notifier", "mysql", "sqs", ProcessSampler.Dashboard })
        {
            var usage = Assert.Single(result.Processes, p => p.Name == service);
            AssertFigure(usage.PeakRssMb, $"{service} peak RSS");
            AssertFigure(result.Closed.PeakRssMbOf(service), $"{service} peak RSS in the closed loop");
        }
        AssertFigure(result.Closed.CpuMillisecondsPerOrderOf(ProcessSampler.Dashboard), "dashboard CPU ms per settled order");
        AssertFigure(result.CpuMillisecondsPerSettledOrder, "CPU ms per settled order");
        Assert.Equal(result.System.Count, result.CpuMillisecondsPerOrderByRun.Count);
        Assert.All(result.CpuMillisecondsPerOrderByRun, cpu => AssertFigure(cpu, "CPU ms per settled order of a run"));

        Assert.Contains("## Sustained, closed loop", report, StringComparison.Ordinal);
        Assert.Contains("## Ratios", report, StringComparison.Ordinal);
        Assert.Contains("## CPU and memory per process", report, StringComparison.Ordinal);
        Assert.Contains("```text", report, StringComparison.Ordinal);
        Assert.Contains(result.Machine.CpuModel, report, StringComparison.Ordinal);
        Assert.Contains("[raw database, 4 connections]", progress.ToString(), StringComparison.Ordinal);
    }

    private static void AssertFigure(double value, string name) =>
        Assert.True(double.IsFinite(value) && value > 0, $"{name} is {value}");
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class BenchmarkSuiteCollection
{
    public const string Name = "benchmark suite";
}
