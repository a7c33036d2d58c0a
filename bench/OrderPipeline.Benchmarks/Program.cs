using System.Globalization;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using OrderPipeline.Benchmarks;
using OrderPipeline.Testing;

// Usage: dotnet run -c Release --project bench/OrderPipeline.Benchmarks -- [orders=2000] [concurrency=16]
//            [--compare [--warm-up 300] [--duration SECONDS] [--dashboard] | --compare-dashboard | --compare-sqs-persistence] [Setting__Name=value ...]
//        dotnet run -c Release --project bench/OrderPipeline.Benchmarks -- --startup-costs [runs=3]
//        dotnet run -c Release --project bench/OrderPipeline.Benchmarks -- --suite [--small] [--duration 60] [--orders 2000] [--clients 16]
//            [--warm-up 36000] [--no-dashboard] [--report docs/benchmarks.md]
//        dotnet run -c Release --project bench/OrderPipeline.Benchmarks -- --lambda [--small] [--orders 3500] [--clients 16] [--warm-up 2000]
//            [--report docs/benchmarks.md]
// Settings after the numbers go to every service as environment variables, to compare a tuning against the defaults.
// Starts the whole system (real MariaDB, SQS emulator, the three services) from the AppHost's app model on free
// ports in a throw-away directory, then runs two scenarios and prints what it measured. Compare figures within one
// run only: these machines vary up to 2x between runs.
var numbers = args
    .Where((a, i) => !a.Contains('=', StringComparison.Ordinal) && !a.StartsWith("--", StringComparison.Ordinal)
        && (i == 0 || args[i - 1] is not ("--warm-up" or "--duration")))
    .ToArray();

if (args.Contains("--suite") || args.Contains("--lambda"))
{
    // The whole measurement in one run against one system: raw database, raw queue, the system in sustained closed and
    // open loops and in bursts, per-process CPU and memory; printed and written as a report. With --lambda, what the Lambda shape
    // costs (init, duration, GB-seconds and dollars per order), as the report's section of its own.
    return await BenchmarkSuite.RunAsync(SuiteOptions.Parse(args));
}

if (args.Contains("--startup-costs"))
{
    // What a developer's `dotnet run` of the AppHost costs: cold start, memory at idle, shutdown.
    var runs = numbers.Length > 0 ? int.Parse(numbers[0], CultureInfo.InvariantCulture) : 3;
    return await StartupCosts.RunAsync(RepositoryRoot.Path, runs);
}

var orders = numbers.Length > 0 ? int.Parse(numbers[0], CultureInfo.InvariantCulture) : 2000;
var concurrency = numbers.Length > 1 ? int.Parse(numbers[1], CultureInfo.InvariantCulture) : 16;
var settings = args.Where(a => a.Contains('=', StringComparison.Ordinal)).Select(a => a.Split('=', 2)).ToDictionary(a => a[0], a => a[1]);

if (args.Contains("--compare"))
{
    // The settings against the defaults, alternated in one run, with CPU per order.
    int? Option(string name) => Array.IndexOf(args, name) is var at and >= 0 ? int.Parse(args[at + 1], CultureInfo.InvariantCulture) : null;
    return await SettingsComparison.RunAsync(settings, orders, concurrency, Option("--warm-up") ?? 300, Option("--duration"), args.Contains("--dashboard"));
}
// --compare-dashboard: the spread scenario with the dashboard off and on, alternated twice, to see what
// receiving the services' telemetry costs the pipeline (the dashboard must not slow it measurably).
var compareDashboard = args.Contains("--compare-dashboard");
// --compare-sqs-persistence: the same, with the emulator keeping its messages in memory and in SQLite
// (AppHost:SqsPersistence), to price the option.
var comparePersistence = args.Contains("--compare-sqs-persistence");
(string Label, bool Dashboard, bool SqsPersistence)[] systems =
    compareDashboard ? [("dashboard off", false, false), ("dashboard on", true, false), ("dashboard off", false, false), ("dashboard on", true, false)]
    : comparePersistence ? [("sqs in memory", false, false), ("sqs persisted", false, true), ("sqs in memory", false, false), ("sqs persisted", false, true)]
    : [("", false, false)];

Console.WriteLine($"{orders} orders per scenario, {concurrency} concurrent clients"
    + $"{(settings.Count > 0 ? ", " + string.Join(", ", settings.Select(s => $"{s.Key}={s.Value}")) : "")}");
Console.WriteLine($"{"scenario",-40} {"orders",7} {"accept/s",9} {"POST p50",9} {"POST p99",9} {"settle/s",9} "
    + $"{"e2e p50",8} {"e2e p95",8} {"e2e p99",8}  check");
foreach (var (label, dashboard, sqsPersistence) in systems)
{
    await RunSystemAsync(label, dashboard, sqsPersistence, hotScenario: !compareDashboard && !comparePersistence);
}
return 0;

async Task RunSystemAsync(string label, bool dashboard, bool sqsPersistence, bool hotScenario)
{
    await using var system = await PipelineSystem.StartAsync(
        PipelineSystemOptions.ForProgram with { Environment = settings, Dashboard = dashboard, SqsPersistence = sqsPersistence });
    // The first watcher gets the console from its beginning.
    using var stopWatching = new CancellationTokenSource();
    var processorConsole = CountProcessorLinesAsync(
        system.App.Services.GetRequiredService<ResourceLoggerService>(), system.Resource("processor"), stopWatching.Token);
    var prefix = label.Length > 0 ? label + ": " : "";

    await RunAsync(system, prefix + "spread (20 products)", new Scenario("spread", 20, null));
    if (hotScenario)
    {
        await RunAsync(system, prefix + "hot (2 products, 25% in stock)", new Scenario("hot", 2, orders / 8));
    }

    // The last lines reach the logger service a moment after they are written.
    await Task.Delay(TimeSpan.FromSeconds(1));
    await stopWatching.CancelAsync();
    var (retries, redeliveries) = await processorConsole;
    Console.WriteLine($"{"",-40} processor: {retries} transaction retries, {redeliveries} messages left for redelivery");
}

static async Task<(int Retries, int Redeliveries)> CountProcessorLinesAsync(ResourceLoggerService loggers, IResource processor, CancellationToken stop)
{
    int retries = 0, redeliveries = 0;
    try
    {
        await foreach (var batch in loggers.WatchAsync(processor).WithCancellation(stop))
        {
            foreach (var line in batch)
            {
                retries += line.Content.Contains("transient MySQL error", StringComparison.Ordinal) ? 1 : 0;
                redeliveries += line.Content.Contains("will be redelivered", StringComparison.Ordinal) ? 1 : 0;
            }
        }
    }
    catch (OperationCanceledException) when (stop.IsCancellationRequested)
    {
        // The run is over.
    }
    return (retries, redeliveries);
}

async Task RunAsync(PipelineSystem system, string name, Scenario scenario)
{
    using var progress = new BenchmarkProgress(TextWriter.Null);
    var run = await new SystemBenchmark(system.Api, system.ConnectionString, progress)
        .RunAsync(scenario, new Load("closed loop", concurrency, null), orders, CancellationToken.None);
    Console.WriteLine(
        $"{name,-40} {orders,7} {run.AcceptedPerSecond,9:0} {run.PostP50Ms,7:0.0}ms {run.PostP99Ms,7:0.0}ms " +
        $"{run.SettledPerSecond,9:0} {run.ToProcessedP50Ms,6:0}ms {run.ToProcessedP99Ms,6:0}ms  " +
        $"{run.Processed} processed, stock {(run.StockConserved ? "conserved" : "NOT CONSERVED")}");
}
