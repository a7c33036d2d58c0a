using OrderPipeline.Testing;

namespace OrderPipeline.Benchmarks;

/// <summary>Everything one suite run measured.</summary>
public sealed record SuiteResult(
    DateTimeOffset StartedAt,
    MachineInfo Machine,
    SuiteOptions Options,
    IReadOnlyList<RawDatabaseResult> Database,
    RawQueueResult Queue,
    IReadOnlyList<SystemResult> System,
    IReadOnlyList<ProcessUsage> Processes,
    TimeSpan SystemPhase,
    IReadOnlyList<double> CpuMillisecondsPerOrderByRun)
{
    public long SettledInSystemPhase => System.Sum(s => (long)s.Orders);

    /// <summary>The denominator of settled/s ÷ raw DB: the raw one-order-per-transaction rate at 4 connections.</summary>
    public double RawDatabaseAt4 => Database.Single(d => d.Connections == 4).OrdersPerSecond;

    public double CpuMillisecondsPerSettledOrder => Processes.Sum(p => p.CpuMilliseconds) / SettledInSystemPhase;

    public double SettledToRawDatabase(SystemResult run) => run.SettledPerSecond / RawDatabaseAt4;

    public double AcceptedToRawQueue(SystemResult run) => run.AcceptedPerSecond / Queue.SingleSendsPerSecond;

    /// <summary>
    /// The CPU per order every process together may use for the system to settle <paramref name="ratio"/> × the raw
    /// database rate on this machine's cores: the CPU budget the ratios imply, for this machine.
    /// </summary>
    public double CpuBudgetMilliseconds(double ratio) => Machine.Processors * 1000.0 / (ratio * RawDatabaseAt4);
}

/// <summary>
/// The whole measurement in one go against one system started the README's way: the raw database and queue limits
/// first (the services idle), then the whole system closed- and open-loop on the spread and the hot product while
/// every process's CPU and memory are sampled; then the report.
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
        var startedAt = DateTimeOffset.UtcNow;
        // Before the system starts: what else was running on the machine.
        var machine = MachineInfo.Read();
        using var progress = new BenchmarkProgress(output);
        progress.Say($"benchmark suite: {options.Orders} orders per run, {options.Clients} closed-loop clients; starting the system");
        await using var system = await PipelineSystem.StartAsync(PipelineSystemOptions.ForProgram, cancellationToken);

        var database = await new RawDatabaseBenchmark(system.ConnectionString, progress)
            .RunAsync(SuiteOptions.DatabaseConnections, options.Orders, cancellationToken);
        foreach (var level in database)
        {
            progress.Say($"raw database, {level.Connections,2} connections: {level.OrdersPerSecond,7:0} orders/s");
        }

        var queue = await new RawQueueBenchmark(system.SqsServiceUrl, progress)
            .RunAsync(SuiteOptions.QueueSenders, options.QueueMessages, SuiteOptions.BatchSize, cancellationToken);
        progress.Say($"raw queue, {queue.Senders} senders: {queue.SingleSendsPerSecond:0} single sends/s, "
            + $"{queue.BatchMessagesPerSecond:0} messages/s in batches of {SuiteOptions.BatchSize}");

        var runs = new List<SystemResult>();
        var cpuByRun = new List<double>();
        var bench = new SystemBenchmark(system.Api, system.ConnectionString, progress);
        // Not measured: the services' first orders pay for JIT compilation, tiered recompilation and connection pools,
        // which would otherwise count against whichever scenario runs first (see SuiteOptions.WarmUp).
        var warmUp = await bench.RunAsync(new Scenario("spread", 20, null), new Load("warm-up", options.Clients, null), options.WarmUp, cancellationToken);
        progress.Say($"warm-up (not counted): {warmUp.Orders} orders, {warmUp.SettledPerSecond:0} settled/s");
        var phase = System.Diagnostics.Stopwatch.StartNew();
        IReadOnlyList<ProcessUsage> processes;
        await using (var sampler = ProcessSampler.Start(system.ResourceProcesses))
        {
            foreach (var scenario in new[] { new Scenario("spread", 20, null), new Scenario("hot", 2, Math.Max(1, options.Orders / 8)) })
            {
                var closed = await MeasureRunAsync(scenario, new Load($"closed loop, {options.Clients} clients", options.Clients, null));
                // The open loop runs at half the maximum rate: half the most the system settles (the closed loop's settled rate).
                // Half what the Api accepts can be more than the pipeline settles, and would measure a growing queue.
                var rate = closed.SettledPerSecond / 2;
                await MeasureRunAsync(scenario, new Load($"open loop, {rate:0}/s", null, rate));
            }
            processes = await sampler.StopAsync();
        }

        var result = new SuiteResult(startedAt, machine, options, database, queue, runs, processes, phase.Elapsed, cpuByRun);
        return (result, BenchmarkReport.Render(result));

        // A run with its own CPU count, every process together, per order it settled.
        async Task<SystemResult> MeasureRunAsync(Scenario scenario, Load load)
        {
            await using var runSampler = ProcessSampler.Start(system.ResourceProcesses);
            var run = await bench.RunAsync(scenario, load, options.Orders, cancellationToken);
            cpuByRun.Add((await runSampler.StopAsync()).Sum(p => p.CpuMilliseconds) / run.Orders);
            runs.Add(run);
            Say(progress, run);
            return run;
        }
    }

    private static void Say(BenchmarkProgress progress, SystemResult run) => progress.Say(
        $"{run.Scenario}, {run.Load}: {run.AcceptedPerSecond:0} accepted/s, {run.SettledPerSecond:0} settled/s, " +
        $"POST p50 {run.PostP50Ms:0.0} ms p99 {run.PostP99Ms:0.0} ms, accepted→PROCESSED p50 {run.ToProcessedP50Ms:0} ms p99 {run.ToProcessedP99Ms:0} ms" +
        (run.StockConserved ? "" : ", STOCK NOT CONSERVED"));
}
