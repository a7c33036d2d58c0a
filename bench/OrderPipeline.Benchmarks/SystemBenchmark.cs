using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text;
using Dapper;
using MySqlConnector;

namespace OrderPipeline.Benchmarks;

/// <summary>Which products the orders of a run go to.</summary>
/// <param name="StockPerProduct">Null: ample stock; otherwise the stock each product starts with.</param>
public sealed record Scenario(string Name, int Products, int? StockPerProduct);

/// <summary>How the clients send: closed loop (each waits for its 202 before the next) or open loop (a fixed arrival rate).</summary>
public sealed record Load(string Name, int? Clients, double? ArrivalsPerSecond);

/// <summary>What one whole-system run saw.</summary>
public sealed record SystemResult(
    string Scenario, string Load, int Orders, double AcceptedPerSecond, double SettledPerSecond,
    double PostP50Ms, double PostP99Ms, double ToProcessedP50Ms, double ToProcessedP99Ms, long Processed, bool StockConserved,
    double ProcessorBatch, double NotifierBatch);

/// <summary>
/// The whole system from the outside: orders POSTed to the Api, then the database watched until every one is settled
/// (PROCESSED or FAILED). Accepted→PROCESSED is the database's own created_at (the Api's acceptance) to processed_at.
/// </summary>
public sealed class SystemBenchmark(HttpClient api, string connectionString, BenchmarkProgress progress)
{
    private static readonly TimeSpan SettleTimeout = TimeSpan.FromMinutes(10);

    public async Task<SystemResult> RunAsync(Scenario scenario, Load load, int orders, CancellationToken cancellationToken)
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        var productIds = Enumerable.Range(0, scenario.Products).Select(i => $"B-{run}-{i}").ToList();
        var stock = scenario.StockPerProduct ?? 1_000_000;
        await using (var connection = new MySqlConnection(connectionString))
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO inventory (product_id, product_name, quantity_available) VALUES (@Id, 'bench', @Stock)",
                productIds.Select(id => new { Id = id, Stock = stock }), cancellationToken: cancellationToken));
        }

        var customer = "bench-" + run;
        var postLatencies = new double[orders];
        progress.Begin($"system, {scenario.Name}, {load.Name}: accepted", orders);
        var startedAt = DateTime.UtcNow;
        var clock = Stopwatch.StartNew();
        if (load.Clients is { } clients)
        {
            await Parallel.ForEachAsync(Enumerable.Range(0, orders),
                new ParallelOptions { MaxDegreeOfParallelism = clients, CancellationToken = cancellationToken },
                async (i, ct) => await PostAsync(i, ct));
        }
        else
        {
            // Open loop: order i leaves at i / rate whatever happened to the ones before, as independent customers
            // would; a slow Api then shows as growing latency instead of a lower sending rate.
            var rate = load.ArrivalsPerSecond ?? throw new ArgumentException("An open loop needs a rate.", nameof(load));
            var inFlight = new ConcurrentBag<Task>();
            for (var i = 0; i < orders; i++)
            {
                var due = TimeSpan.FromSeconds(i / rate) - clock.Elapsed;
                if (due > TimeSpan.Zero)
                {
                    await Task.Delay(due, cancellationToken);
                }
                var index = i;
                inFlight.Add(Task.Run(() => PostAsync(index, cancellationToken), cancellationToken));
            }
            await Task.WhenAll(inFlight);
        }
        var accepted = clock.Elapsed;
        progress.End();

        progress.Begin($"system, {scenario.Name}, {load.Name}: settling", orders);
        await using var db = new MySqlConnection(connectionString);
        long settledCount;
        while ((settledCount = await db.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COUNT(*) FROM orders WHERE customer_id = @customer AND status <> 'PENDING'", new { customer },
            cancellationToken: cancellationToken))) < orders)
        {
            progress.Set((int)settledCount);
            if (clock.Elapsed > SettleTimeout)
            {
                throw new TimeoutException($"orders did not settle within {SettleTimeout.TotalMinutes} minutes");
            }
            // Seldom: counting scans the run's rows, work the database would otherwise do for the system under test.
            // The settling time comes from the rows themselves, so it is as exact however seldom this looks.
            await Task.Delay(250, cancellationToken);
        }
        // processed_at is the Processor's clock, the same machine's as startedAt.
        var lastProcessedAt = await db.ExecuteScalarAsync<DateTime>(new CommandDefinition(
            "SELECT MAX(processed_at) FROM orders WHERE customer_id = @customer", new { customer }, cancellationToken: cancellationToken));
        var settled = DateTime.SpecifyKind(lastProcessedAt, DateTimeKind.Utc) - startedAt;
        progress.Set(orders);
        progress.End();

        var toProcessed = (await db.QueryAsync<double>(new CommandDefinition(
            "SELECT TIMESTAMPDIFF(MICROSECOND, created_at, processed_at) / 1000.0 FROM orders WHERE customer_id = @customer AND status = 'PROCESSED'",
            new { customer }, cancellationToken: cancellationToken))).Order().ToArray();
        var left = await db.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT SUM(quantity_available) FROM inventory WHERE product_id IN @productIds", new { productIds }, cancellationToken: cancellationToken));
        // A batch settled in one transaction shares one processed_at, a batch notified in one transaction one
        // notified_at: how full the received batches were, which is what per-batch work is shared by.
        var processorBatch = await db.ExecuteScalarAsync<double>(new CommandDefinition(
            "SELECT COUNT(*) / COUNT(DISTINCT processed_at) FROM orders WHERE customer_id = @customer", new { customer },
            cancellationToken: cancellationToken));
        var notifierBatch = await db.ExecuteScalarAsync<double?>(new CommandDefinition(
            "SELECT COUNT(*) / COUNT(DISTINCT n.notified_at) FROM notifications n JOIN orders o ON o.order_id = n.order_id WHERE o.customer_id = @customer",
            new { customer }, cancellationToken: cancellationToken)) ?? double.NaN;
        var processed = toProcessed.LongLength;
        var conserved = (long)scenario.Products * stock - processed == left && left >= 0;

        Array.Sort(postLatencies);
        return new SystemResult(scenario.Name, load.Name, orders, orders / accepted.TotalSeconds, orders / settled.TotalSeconds,
            Percentile(postLatencies, 50), Percentile(postLatencies, 99), Percentile(toProcessed, 50), Percentile(toProcessed, 99), processed, conserved,
            processorBatch, notifierBatch);

        async Task PostAsync(int i, CancellationToken ct)
        {
            var body = $$"""{"customer_id":"{{customer}}","items":[{"product_id":"{{productIds[i % scenario.Products]}}","quantity":1}]}""";
            var sent = Stopwatch.GetTimestamp();
            using var response = await api.PostAsync(new Uri("/api/orders", UriKind.Relative), new StringContent(body, Encoding.UTF8, "application/json"), ct);
            postLatencies[i] = Stopwatch.GetElapsedTime(sent).TotalMilliseconds;
            if (response.StatusCode != HttpStatusCode.Accepted)
            {
                // With its body: the Api's problem+json says which refusal it was (a 503's type), API Gateway's says its own.
                throw new InvalidOperationException($"POST answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(ct)}");
            }
            progress.Increment();
        }
    }

    public static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p / 100 * sorted.Length) - 1)];
}
