using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using Dapper;
using MySqlConnector;
using OrderPipeline.AppHost.Hosting;
using OrderPipeline.AppHost.Resources;

// Usage: dotnet run -c Release --project bench/OrderPipeline.Benchmarks -- [orders=2000] [concurrency=16] [--compare-dashboard] [Setting__Name=value ...]
// Settings after the numbers go to every service as environment variables, to compare a tuning against the defaults.
// Starts the whole system (real MariaDB, SQS emulator, the three services) on free ports in a throw-away
// directory, then runs two scenarios and prints what it measured. Compare figures within one run only:
// these machines vary up to 2x between runs.
var numbers = args.Where(a => !a.Contains('=', StringComparison.Ordinal) && !a.StartsWith("--", StringComparison.Ordinal)).ToArray();
var orders = numbers.Length > 0 ? int.Parse(numbers[0], CultureInfo.InvariantCulture) : 2000;
var concurrency = numbers.Length > 1 ? int.Parse(numbers[1], CultureInfo.InvariantCulture) : 16;
var settings = args.Where(a => a.Contains('=', StringComparison.Ordinal)).Select(a => a.Split('=', 2)).ToDictionary(a => a[0], a => a[1]);
// --compare-dashboard: the spread scenario with the dashboard off and on, alternated twice, to see what
// receiving the services' telemetry costs the pipeline (the dashboard must not slow it measurably).
var compareDashboard = args.Contains("--compare-dashboard");
(string Label, bool Dashboard)[] systems = compareDashboard
    ? [("dashboard off", false), ("dashboard on", true), ("dashboard off", false), ("dashboard on", true)]
    : [("", false)];

Console.WriteLine($"{orders} orders per scenario, {concurrency} concurrent clients{(settings.Count > 0 ? ", " + string.Join(", ", settings.Select(s => $"{s.Key}={s.Value}")) : "")}");
Console.WriteLine($"{"scenario",-40} {"orders",7} {"accept/s",9} {"POST p50",9} {"POST p99",9} {"settle/s",9} {"e2e p50",8} {"e2e p95",8} {"e2e p99",8}  check");
foreach (var (label, dashboard) in systems)
{
    await RunSystemAsync(label, dashboard, hotScenario: !compareDashboard);
}

async Task RunSystemAsync(string label, bool dashboard, bool hotScenario)
{
    var options = new AppHostOptions
    {
        RepositoryRoot = AppHostOptions.FindRepositoryRoot(),
        DataDirectory = Path.Combine(Path.GetTempPath(), $"op-bench-{Guid.NewGuid():N}"[..18]),
        UseFreePorts = true,
        Quiet = true,
        EnableDashboard = dashboard,
        ServiceEnvironment = settings,
    };
    await using var system = await DistributedApplicationTesting.StartAsync(typeof(SqsResource).Assembly, options);
    using var api = system.CreateHttpClient("api");
    var connectionString = system.GetConnectionString("orders");
    var prefix = label.Length > 0 ? label + ": " : "";

    await RunAsync(api, connectionString, prefix + "spread (20 products)", products: 20, stock: 1_000_000);
    if (hotScenario)
    {
        await RunAsync(api, connectionString, prefix + "hot (2 products, 25% in stock)", products: 2, stock: orders / 8);
    }

    var processorLog = system.App.GetResource("processor").Log.Snapshot();
    Console.WriteLine($"{"",-40} processor: {processorLog.Count(l => l.Text.Contains("transient MySQL error", StringComparison.Ordinal))} transaction retries, " +
        $"{processorLog.Count(l => l.Text.Contains("will be redelivered", StringComparison.Ordinal))} messages left for redelivery");
    await system.DisposeAsync();
    try
    {
        Directory.Delete(options.DataDirectory, recursive: true);
    }
    catch (IOException)
    {
        // A leftover temp folder is harmless.
    }
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
