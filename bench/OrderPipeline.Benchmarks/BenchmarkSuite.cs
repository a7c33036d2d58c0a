using OrderPipeline.Testing;

namespace OrderPipeline.Benchmarks;

/// <summary>A whole-system run and every process's share of it, sampled from its first POST until its last order settled.</summary>
public sealed record MeasuredRun(SystemResult Run, IReadOnlyList<ProcessUsage> Processes)
{
    public double CpuMillisecondsPerOrder => Processes.Sum(p => p.CpuMilliseconds) / Run.Orders;

    /// <summary>One process group's CPU per settled order (zero when it did not run: no dashboard).</summary>
    public double CpuMillisecondsPerOrderOf(string process) => Processes.Where(p => p.Name == process).Sum(p => p.CpuMilliseconds) / Run.Orders;

    public double PeakRssMbOf(string process) => Processes.Where(p => p.Name == process).Sum(p => p.PeakRssMb);
}

/// <summary>Everything one suite run measured.</summary>
/// <param name="Database">The project's own order transaction, raw, at each connection level.</param>
/// <param name="MinimalDatabase">The minimal order transaction, raw, at each connection level.</param>
/// <param name="Closed">The sustained closed loop: the headline.</param>
/// <param name="Open">The sustained open loop at <see cref="SuiteOptions.OpenLoopFraction"/> of the closed loop's settled rate.</param>
/// <param name="Bursts">Closed loops of a fixed number of orders, spread and hot.</param>
public sealed record SuiteResult(
    DateTimeOffset StartedAt,
    MachineInfo Machine,
    SuiteOptions Options,
    IReadOnlyList<RawDatabaseResult> Database,
    IReadOnlyList<RawDatabaseResult> MinimalDatabase,
    RawQueueResult Queue,
    MeasuredRun Closed,
    MeasuredRun Open,
    IReadOnlyList<MeasuredRun> Bursts,
    IReadOnlyList<ProcessUsage> Processes,
    TimeSpan SystemPhase,
    MeasuredRun? EveryTrace = null)
{
    /// <summary>The services whose peak memory is held against <see cref="ServiceRssGoalMb"/>.</summary>
    public static readonly string[] Services = ["api", "processor", "notifier"];

    public const double ServiceRssGoalMb = 150;

    /// <summary>The dashboard's CPU per settled order the system should stay under with the dashboard on.</summary>
    public const double DashboardCpuGoalMs = 0.3;

    /// <summary>The sustained closed loop's settled rate against the minimal raw transaction's, at least.</summary>
    public const double MinimalRatioGoal = 0.7;

    public IReadOnlyList<MeasuredRun> Runs => [Closed, Open, .. Bursts];

    public IReadOnlyList<SystemResult> System => [.. Runs.Select(r => r.Run)];

    public IReadOnlyList<double> CpuMillisecondsPerOrderByRun => [.. Runs.Select(r => r.CpuMillisecondsPerOrder)];

    public long SettledInSystemPhase => System.Sum(s => (long)s.Orders);

    /// <summary>The project's own transaction, raw, one order per transaction at 4 connections.</summary>
    public double RawDatabaseAt4 => Database.Single(d => d.Connections == 4).OrdersPerSecond;

    /// <summary>The minimal order transaction, raw, one order per transaction at 4 connections.</summary>
    public double MinimalDatabaseAt4 => MinimalDatabase.Single(d => d.Connections == 4).OrdersPerSecond;

    public double CpuMillisecondsPerSettledOrder => Processes.Sum(p => p.CpuMilliseconds) / SettledInSystemPhase;

    public double SettledToRawDatabase(SystemResult run) => run.SettledPerSecond / RawDatabaseAt4;

    public double SettledToMinimalDatabase(SystemResult run) => run.SettledPerSecond / MinimalDatabaseAt4;

    public double AcceptedToRawQueue(SystemResult run) => run.AcceptedPerSecond / Queue.SingleSendsPerSecond;

    /// <summary>
    /// The CPU per order every process together may use for the system to settle <paramref name="ratio"/> × the minimal raw
    /// transaction's rate on this machine's cores: the CPU budget the target implies, for this machine.
    /// </summary>
    public double CpuBudgetMilliseconds(double ratio) => Machine.Processors * 1000.0 / (ratio * MinimalDatabaseAt4);
}

/// <summary>
/// The whole measurement in one go against one system started the README's way (the dashboard on): the raw database and
/// queue limits first (the services idle), then after a warm-up the whole system in sustained closed and open loops
/// and in bursts while every process's CPU and memory are sampled; then the report.
/// </summary>
public static class BenchmarkSuite
{
    /// <summary>
    /// Measures, prints the report and writes it: the laptop shape's run the document, a <c>--lambda</c> run its section
    /// at the end (<see cref="LambdaCostReport.Heading"/>); each keeps the other's part of an existing document.
    /// </summary>
    public static async Task<int> RunAsync(SuiteOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        bool passed;
        string report;
        if (options.Lambda)
        {
            var (result, section) = await LambdaCostBenchmark.MeasureAsync(options, Console.Out, CancellationToken.None);
            (passed, report) = (result.Passed, section);
        }
        else
        {
            var (result, document) = await MeasureAsync(options, Console.Out, CancellationToken.None);
            (passed, report) = (result.System.All(s => s.StockConserved), document);
        }
        Console.WriteLine();
        Console.WriteLine(report);
        if (options.ReportPath is { } path)
        {
            var existing = File.Exists(path) ? await File.ReadAllTextAsync(path) : null;
            await File.WriteAllTextAsync(path, ReportSections.Merge(existing, LambdaCostReport.Heading, report, isSection: options.Lambda));
            Console.WriteLine($"written to {Path.GetFullPath(path)}");
        }
        return passed ? 0 : 1;
    }

    public static async Task<(SuiteResult Result, string Report)> MeasureAsync(SuiteOptions options, TextWriter output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var startedAt = DateTimeOffset.UtcNow;
        // Before the system starts: what else was running on the machine.
        var machine = MachineInfo.Read();
        using var progress = new BenchmarkProgress(output);
        progress.Say($"benchmark suite: sustained loops of {options.Duration} s, bursts of {options.Orders} orders, {options.Clients} closed-loop clients, "
            + $"dashboard {(options.Dashboard ? "on" : "off")}; starting the system");
        // With the dashboard the services keep their OTLP exporter pointed at it, as `bash eng/run.sh` runs them.
        var systemOptions = PipelineSystemOptions.ForProgram with { Dashboard = options.Dashboard, Args = options.SamplingArgs };
        SuiteResult result;
        await using (var system = await PipelineSystem.StartAsync(systemOptions, cancellationToken))
        {
            result = await MeasureSystemAsync(system);
        }
        if (options.Dashboard && options.TraceSampleRatio < 1)
        {
            // The same warm-up and closed loop on a system keeping every trace, started once the first has stopped.
            progress.Say("the sustained closed loop again, on a system keeping every trace");
            await using var everyTrace = await PipelineSystem.StartAsync(systemOptions with { Args = [] }, cancellationToken);
            var bench = new SystemBenchmark(everyTrace.Api, everyTrace.ConnectionString, progress);
            await bench.RunAsync(Spread, new Load("warm-up", options.Clients, null), options.WarmUp, cancellationToken);
            result = result with { EveryTrace = await MeasureRunAsync(everyTrace, bench, Spread, ClosedLoad(options), Length(options)) };
        }
        return (result, BenchmarkReport.Render(result));

        async Task<SuiteResult> MeasureSystemAsync(PipelineSystem system)
        {
            var rawDatabase = new RawDatabaseBenchmark(system.ConnectionString, progress);
            var database = await rawDatabase.RunAsync(RawTransaction.Project, SuiteOptions.DatabaseConnections, options.Orders, cancellationToken);
            var minimalDatabase = await rawDatabase.RunAsync(RawTransaction.Minimal, SuiteOptions.DatabaseConnections, options.Orders, cancellationToken);
            foreach (var (project, minimal) in database.Zip(minimalDatabase))
            {
                progress.Say($"raw database, {project.Connections,2} connections: {minimal.OrdersPerSecond,7:0} orders/s minimal, "
                    + $"{project.OrdersPerSecond,7:0} orders/s the project's transaction");
            }

            var queue = await new RawQueueBenchmark(system.SqsServiceUrl, progress)
                .RunAsync(SuiteOptions.QueueSenders, options.QueueMessages, SuiteOptions.BatchSize, cancellationToken);
            progress.Say($"raw queue, {queue.Senders} senders: {queue.SingleSendsPerSecond:0} single sends/s, "
                + $"{queue.BatchMessagesPerSecond:0} messages/s in batches of {SuiteOptions.BatchSize}");

            var bench = new SystemBenchmark(system.Api, system.ConnectionString, progress);
            // Not measured: the services' first orders pay for JIT compilation, tiered recompilation and connection pools,
            // which would otherwise count against whichever run comes first (see SuiteOptions.WarmUp).
            var warmUp = await bench.RunAsync(Spread, new Load("warm-up", options.Clients, null), options.WarmUp, cancellationToken);
            progress.Say($"warm-up (not counted): {warmUp.Orders} orders, {warmUp.SettledPerSecond:0} settled/s");

            var phase = System.Diagnostics.Stopwatch.StartNew();
            MeasuredRun closed, open;
            var bursts = new List<MeasuredRun>();
            IReadOnlyList<ProcessUsage> processes;
            await using (var sampler = ProcessSampler.Start(system.ResourceProcesses))
            {
                closed = await MeasureRunAsync(system, bench, Spread, ClosedLoad(options), Length(options));
                var rate = closed.Run.SettledPerSecond * SuiteOptions.OpenLoopFraction;
                open = await MeasureRunAsync(system, bench, Spread, new Load($"sustained open loop, {rate:0}/s", null, rate), Length(options));
                foreach (var scenario in new[] { Spread, new Scenario("hot", 2, Math.Max(1, options.Orders / 8)) })
                {
                    var burst = new Load($"bursts, {options.Clients} clients", options.Clients, null);
                    bursts.Add(await MeasureRunAsync(system, bench, scenario, burst, RunLength.Count(options.Orders)));
                }
                processes = await sampler.StopAsync();
            }
            return new SuiteResult(startedAt, machine, options, database, minimalDatabase, queue, closed, open, bursts, processes, phase.Elapsed);
        }

        // A run with its own CPU and memory per process, from its first POST until its last order settled.
        async Task<MeasuredRun> MeasureRunAsync(PipelineSystem system, SystemBenchmark bench, Scenario scenario, Load load, RunLength length)
        {
            await using var runSampler = ProcessSampler.Start(system.ResourceProcesses);
            var run = await bench.RunAsync(scenario, load, length, cancellationToken);
            var measured = new MeasuredRun(run, await runSampler.StopAsync());
            Say(progress, measured);
            return measured;
        }
    }

    private static readonly Scenario Spread = new("spread", 20, null);

    private static Load ClosedLoad(SuiteOptions options) => new($"sustained closed loop, {options.Clients} clients", options.Clients, null);

    private static RunLength Length(SuiteOptions options) => RunLength.For(TimeSpan.FromSeconds(options.Duration));

    private static void Say(BenchmarkProgress progress, MeasuredRun measured)
    {
        var run = measured.Run;
        progress.Say(
            $"{run.Scenario}, {run.Load}: {run.Orders} orders, {run.AcceptedPerSecond:0} accepted/s, {run.SettledPerSecond:0} settled/s "
            + $"(drained {run.DrainSeconds:0.0} s after the load), POST p50 {run.PostP50Ms:0.0} ms p99 {run.PostP99Ms:0.0} ms, "
            + $"accepted→PROCESSED p50 {run.ToProcessedP50Ms:0} ms p99 {run.ToProcessedP99Ms:0} ms, {measured.CpuMillisecondsPerOrder:0.00} ms CPU/order, "
            + $"dashboard {measured.CpuMillisecondsPerOrderOf(ProcessSampler.Dashboard):0.00}"
            + (run.StockConserved ? "" : ", STOCK NOT CONSERVED"));
    }
}
