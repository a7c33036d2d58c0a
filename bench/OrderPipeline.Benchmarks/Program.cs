using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MySqlConnector;
using OrderPipeline.Benchmarks;

// Usage: dotnet run -c Release --project bench/OrderPipeline.Benchmarks -- [orders=2000] [concurrency=16] [--compare | --compare-dashboard | --compare-sqs-persistence] [Setting__Name=value ...]
//        dotnet run -c Release --project bench/OrderPipeline.Benchmarks -- --startup-costs [runs=3]
//        dotnet run -c Release --project bench/OrderPipeline.Benchmarks -- --suite [--orders 2000] [--clients 16] [--report docs/benchmarks.md]
// Settings after the numbers go to every service as environment variables, to compare a tuning against the defaults.
// Starts the whole system (real MariaDB, SQS emulator, the three services) from the AppHost's app model on free
// ports in a throw-away directory, then runs two scenarios and prints what it measured. Compare figures within one
// run only: these machines vary up to 2x between runs.
var numbers = args.Where(a => !a.Contains('=', StringComparison.Ordinal) && !a.StartsWith("--", StringComparison.Ordinal)).ToArray();

if (args.Contains("--suite"))
{
    // Issue 12's whole measurement in one run against one system: raw database, raw queue, the system closed- and
    // open-loop, per-process CPU and memory; printed and written as a report.
    return await BenchmarkSuite.RunAsync(SuiteOptions.Parse(args));
}

if (args.Contains("--startup-costs"))
{
    // What a developer's `dotnet run` of the AppHost costs: cold start, memory at idle, shutdown.
    var runs = numbers.Length > 0 ? int.Parse(numbers[0], CultureInfo.InvariantCulture) : 3;
    return await StartupCosts.RunAsync(StartupCosts.FindRepositoryRoot(), runs);
}

var orders = numbers.Length > 0 ? int.Parse(numbers[0], CultureInfo.InvariantCulture) : 2000;
var concurrency = numbers.Length > 1 ? int.Parse(numbers[1], CultureInfo.InvariantCulture) : 16;
var settings = args.Where(a => a.Contains('=', StringComparison.Ordinal)).Select(a => a.Split('=', 2)).ToDictionary(a => a[0], a => a[1]);

if (args.Contains("--compare"))
{
    // The settings against the defaults, alternated in one run, with CPU per order.
    return await SettingsComparison.RunAsync(settings, orders, concurrency);
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

Console.WriteLine($"{orders} orders per scenario, {concurrency} concurrent clients{(settings.Count > 0 ? ", " + string.Join(", ", settings.Select(s => $"{s.Key}={s.Value}")) : "")}");
Console.WriteLine($"{"scenario",-40} {"orders",7} {"accept/s",9} {"POST p50",9} {"POST p99",9} {"settle/s",9} {"e2e p50",8} {"e2e p95",8} {"e2e p99",8}  check");
foreach (var (label, dashboard, sqsPersistence) in systems)
{
    await RunSystemAsync(label, dashboard, sqsPersistence, hotScenario: !compareDashboard && !comparePersistence);
}
return 0;

async Task RunSystemAsync(string label, bool dashboard, bool sqsPersistence, bool hotScenario)
{
    await using var system = await BenchmarkSystem.StartAsync(new SystemOptions(settings, dashboard, sqsPersistence));
    // The first watcher gets the console from its beginning.
    using var stopWatching = new CancellationTokenSource();
    var processorConsole = CountProcessorLinesAsync(system.App.Services.GetRequiredService<ResourceLoggerService>(), system.Resource("processor"), stopWatching.Token);
    var prefix = label.Length > 0 ? label + ": " : "";

    await RunAsync(system.Api, system.ConnectionString, prefix + "spread (20 products)", products: 20, stock: 1_000_000);
    if (hotScenario)
    {
        await RunAsync(system.Api, system.ConnectionString, prefix + "hot (2 products, 25% in stock)", products: 2, stock: orders / 8);
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

async Task RunAsync(HttpClient api, string connectionString, string name, int products, int stock)
{
    var run = Guid.NewGuid().ToString("N")[..8];
    var productIds = Enumerable.Range(0, products).Select(i => $"B-{run}-{i}").ToList();
    await using (var connection = new MySqlConnection(connectionString))
    {
        await connection.ExecuteAsync(
            "INSERT INTO inventory (product_id, product_name, quantity_available) VALUES (@Id, 'bench', @Stock)",
            productIds.Select(id => new { Id = id, Stock = stock }));
    }

    var customer = "bench-" + run;
    var postLatencies = new double[orders];
    var clock = Stopwatch.StartNew();
    await Parallel.ForEachAsync(Enumerable.Range(0, orders), new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (i, ct) =>
    {
        var body = $$"""{"customer_id":"{{customer}}","items":[{"product_id":"{{productIds[i % products]}}","quantity":1}]}""";
        var sent = Stopwatch.GetTimestamp();
        using var response = await api.PostAsync("/api/orders", new StringContent(body, Encoding.UTF8, "application/json"), ct);
        postLatencies[i] = Stopwatch.GetElapsedTime(sent).TotalMilliseconds;
        if (response.StatusCode != HttpStatusCode.Accepted)
        {
            throw new InvalidOperationException($"POST answered {(int)response.StatusCode}");
        }
    });
    var accepted = clock.Elapsed;

    await using var db = new MySqlConnection(connectionString);
    while (await db.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM orders WHERE customer_id = @customer AND status <> 'PENDING'", new { customer }) < orders)
    {
        if (clock.Elapsed > TimeSpan.FromMinutes(10))
        {
            throw new TimeoutException("orders did not settle within 10 minutes");
        }
        await Task.Delay(50);
    }
    var settled = clock.Elapsed;

    var endToEnd = (await db.QueryAsync<double>(
        "SELECT TIMESTAMPDIFF(MICROSECOND, created_at, processed_at) / 1000.0 FROM orders WHERE customer_id = @customer", new { customer })).Order().ToArray();
    var processed = await db.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM orders WHERE customer_id = @customer AND status = 'PROCESSED'", new { customer });
    var left = await db.ExecuteScalarAsync<long>("SELECT SUM(quantity_available) FROM inventory WHERE product_id IN @productIds", new { productIds });
    var conserved = (long)products * stock - processed == left && left >= 0;

    Array.Sort(postLatencies);
    Console.WriteLine(
        $"{name,-40} {orders,7} {orders / accepted.TotalSeconds,9:0} {Percentile(postLatencies, 50),7:0.0}ms {Percentile(postLatencies, 99),7:0.0}ms " +
        $"{orders / settled.TotalSeconds,9:0} {Percentile(endToEnd, 50),6:0}ms {Percentile(endToEnd, 95),6:0}ms {Percentile(endToEnd, 99),6:0}ms  " +
        $"{processed} processed, stock {(conserved ? "conserved" : "NOT CONSERVED")}");
}

static double Percentile(double[] sorted, double p) =>
    sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p / 100 * sorted.Length) - 1)];
