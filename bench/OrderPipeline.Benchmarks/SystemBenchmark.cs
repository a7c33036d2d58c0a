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

/// <summary>How long a run sends: a number of orders (a burst), or for a duration whatever the clients manage (sustained).</summary>
public sealed record RunLength(int? Orders, TimeSpan? Duration)
{
    public static RunLength Count(int orders) => new(orders, null);

    public static RunLength For(TimeSpan duration) => new(null, duration);

    /// <summary>Whether the order numbered <paramref name="index"/> is still sent, <paramref name="elapsed"/> into the run.</summary>
    public bool Sends(int index, TimeSpan elapsed) => Orders is { } orders ? index < orders : elapsed < (Duration ?? TimeSpan.Zero);

    public override string ToString() => Orders is { } orders ? $"{orders} orders" : $"{Duration?.TotalSeconds:0} s";
}

/// <summary>What one whole-system run saw.</summary>
/// <param name="LoadSeconds">From the first POST to the last one's answer.</param>
/// <param name="SettleSeconds">From the first POST to the last order's processed_at: what <paramref name="SettledPerSecond"/> divides by.</param>
/// <param name="QueuedRefusals">POSTs answered 503 orders-queued (too many orders waiting), each sent again after its Retry-After.</param>
public sealed record SystemResult(
    string Scenario, string Load, int Orders, double AcceptedPerSecond, double SettledPerSecond,
    double PostP50Ms, double PostP99Ms, double ToProcessedP50Ms, double ToProcessedP99Ms, long Processed, bool StockConserved,
    double ProcessorBatch, double NotifierBatch, double LoadSeconds = double.NaN, double SettleSeconds = double.NaN, long QueuedRefusals = 0)
{
    /// <summary>From the last POST's answer to the last order's settling: what the pipeline still had queued when the load stopped.</summary>
    /// <remarks>Never below zero: the last order can settle before its 202 reaches the client.</remarks>
    public double DrainSeconds => Math.Max(0, SettleSeconds - LoadSeconds);
}

/// <summary>
/// The whole system from the outside: orders POSTed to the Api, then the database watched until every one is settled
/// (PROCESSED or FAILED). Accepted→PROCESSED is the database's own created_at (the Api's acceptance) to processed_at.
/// </summary>
public sealed class SystemBenchmark(HttpClient api, string connectionString, BenchmarkProgress progress)
{
    private static readonly TimeSpan SettleTimeout = TimeSpan.FromMinutes(10);

    public Task<SystemResult> RunAsync(Scenario scenario, Load load, int orders, CancellationToken cancellationToken) =>
        RunAsync(scenario, load, RunLength.Count(orders), cancellationToken);

    /// <summary>
    /// Sends for the run's length, then waits until every order sent is settled. The settled rate counts the drain: orders
    /// sent ÷ the time from the first POST to the last order's processed_at.
    /// </summary>
    public async Task<SystemResult> RunAsync(Scenario scenario, Load load, RunLength length, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(length);
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
        var postLatencies = new ConcurrentQueue<double>();
        long queuedRefusals = 0;
        progress.Begin($"system, {scenario.Name}, {load.Name}, {length}: accepted", length.Orders ?? 0);
        var startedAt = DateTime.UtcNow;
        var clock = Stopwatch.StartNew();
        if (load.Clients is { } clients)
        {
            // Each client posts its next order once the last was accepted, until the count or the time is up.
            var next = -1;
            await Task.WhenAll(Enumerable.Range(0, clients).Select(async _ =>
            {
                for (var i = Interlocked.Increment(ref next); length.Sends(i, clock.Elapsed); i = Interlocked.Increment(ref next))
                {
                    await PostAsync(i, cancellationToken);
                }
            }));
        }
        else
        {
            // Open loop: order i leaves at i / rate whatever happened to the ones before, as independent customers
            // would; a slow Api then shows as growing latency instead of a lower sending rate.
            var rate = load.ArrivalsPerSecond ?? throw new ArgumentException("An open loop needs a rate.", nameof(load));
            var inFlight = new ConcurrentBag<Task>();
            for (var i = 0; length.Sends(i, TimeSpan.FromSeconds(i / rate)); i++)
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
        var orders = postLatencies.Count;
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

        var posts = postLatencies.Order().ToArray();
        return new SystemResult(scenario.Name, load.Name, orders, orders / accepted.TotalSeconds, orders / settled.TotalSeconds,
            Percentile(posts, 50), Percentile(posts, 99), Percentile(toProcessed, 50), Percentile(toProcessed, 99), processed, conserved,
            processorBatch, notifierBatch, accepted.TotalSeconds, settled.TotalSeconds, queuedRefusals);

        async Task PostAsync(int i, CancellationToken ct)
        {
            var body = $$"""{"customer_id":"{{customer}}","items":[{"product_id":"{{productIds[i % scenario.Products]}}","quantity":1}]}""";
            long sent;
            HttpResponseMessage response;
            while (true)
            {
                sent = Stopwatch.GetTimestamp();
                response = await api.PostAsync(new Uri("/api/orders", UriKind.Relative), new StringContent(body, Encoding.UTF8, "application/json"), ct);
                // Too many orders waiting: come back after Retry-After, as the Api asks its clients to.
                if (response.StatusCode != HttpStatusCode.ServiceUnavailable || response.Headers.RetryAfter?.Delta is not { } retryAfter
                    || !(await response.Content.ReadAsStringAsync(ct)).Contains("#orders-queued", StringComparison.Ordinal))
                {
                    break;
                }
                response.Dispose();
                Interlocked.Increment(ref queuedRefusals);
                await Task.Delay(retryAfter, ct);
            }
            using var answered = response;
            var latency = Stopwatch.GetElapsedTime(sent).TotalMilliseconds;
            if (response.StatusCode != HttpStatusCode.Accepted)
            {
                // With its body: the Api's problem+json says which refusal it was (a 503's type), API Gateway's says its own.
                throw new InvalidOperationException($"POST answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(ct)}");
            }
            // Counted once accepted: the run's orders are the ones it sent and the Api took.
            postLatencies.Enqueue(latency);
            progress.Increment();
        }
    }

    public static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p / 100 * sorted.Length) - 1)];
}
