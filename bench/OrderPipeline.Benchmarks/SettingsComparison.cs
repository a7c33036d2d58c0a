using OrderPipeline.Testing;

namespace OrderPipeline.Benchmarks;

/// <summary>
/// A tuning against the defaults within one run: systems with and without the settings, alternated twice so that a
/// machine getting busier or quieter meanwhile shows as a difference between the two rounds, not as the tuning's
/// effect. Each system is warmed up, then runs the spread scenario closed-loop while every process's CPU is sampled.
/// </summary>
public static class SettingsComparison
{
    private static readonly string[] Services = ["api", "processor", "notifier"];

    /// <param name="warmUp">Orders sent first and not measured: enough for a service's code to be compiled.</param>
    /// <param name="duration">Null: a burst of <paramref name="orders"/>; otherwise a sustained loop of that many seconds.</param>
    /// <param name="dashboard">
    /// The dashboard on with the README's load-test sampling, as the suite runs the system; otherwise off, which is
    /// something else than the suite measures.
    /// </param>
    public static async Task<int> RunAsync(IReadOnlyDictionary<string, string> settings, int orders, int clients, int warmUp = 300,
        int? duration = null, bool dashboard = false)
    {
        var tuned = string.Join(", ", settings.Select(s => $"{s.Key}={s.Value}"));
        var length = duration is { } seconds ? RunLength.For(TimeSpan.FromSeconds(seconds)) : RunLength.Count(orders);
        Console.WriteLine($"{length} per system after {warmUp} orders not measured, {clients} clients, spread closed loop, "
            + $"dashboard {(dashboard ? "on, traces sampled as the README's load test" : "off")}; tuned: {tuned}");
        Console.WriteLine($"{"system",-9} {"accept/s",9} {"settle/s",9} {"POST p99",9} {"e2e p99",8} {"CPU/order",10} "
            + $"{"w/o client",10} {"batches",8} {"max RSS",8} {"503s",6}  per process (ms/order)");
        var failed = false;
        IReadOnlyDictionary<string, string> defaults = new Dictionary<string, string>();
        foreach (var (label, environment) in new[] { ("defaults", defaults), ("tuned", settings), ("defaults", defaults), ("tuned", settings) })
        {
            await using var system = await PipelineSystem.StartAsync(PipelineSystemOptions.ForProgram with
            {
                Environment = environment, Dashboard = dashboard, Args = dashboard ? new SuiteOptions().SamplingArgs : [],
            });
            using var progress = new BenchmarkProgress(TextWriter.Null);
            var bench = new SystemBenchmark(system.Api, system.ConnectionString, progress);
            var spread = new Scenario("spread", 20, null);
            var load = new Load($"closed loop, {clients} clients", clients, null);
            // Not measured: the first orders pay for JIT compilation and connection pools.
            await bench.RunAsync(spread, load, warmUp, CancellationToken.None);
            await using var sampler = ProcessSampler.Start(system.ResourceProcesses);
            var run = await bench.RunAsync(spread, load, length, CancellationToken.None);
            var processes = await sampler.StopAsync();
            var settled = run.Orders;
            failed |= !run.StockConserved;
            Console.WriteLine(
                $"{label,-9} {run.AcceptedPerSecond,9:0} {run.SettledPerSecond,9:0} {run.PostP99Ms,7:0.0}ms {run.ToProcessedP99Ms,6:0}ms " +
                $"{processes.Sum(p => p.CpuMilliseconds) / settled,8:0.00}ms " +
                // The load generator shares its process with the AppHost and pays for its own JIT in the first system.
                $"{processes.Where(p => p.Name != ProcessSampler.ClientAndAppHost).Sum(p => p.CpuMilliseconds) / settled,8:0.00}ms " +
                $"{run.ProcessorBatch,4:0.0}/{run.NotifierBatch,-4:0.0} " +
                $"{processes.Where(p => Services.Contains(p.Name)).Max(p => p.PeakRssMb),5:0}MB {run.QueuedRefusals,6}  " +
                string.Join(", ", processes.Where(p => p.CpuMilliseconds / settled >= 0.05).Select(p => $"{p.Name} {p.CpuMilliseconds / settled:0.00}")) +
                (run.StockConserved ? "" : "  STOCK NOT CONSERVED"));
        }
        return failed ? 1 : 0;
    }
}
