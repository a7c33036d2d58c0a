using System.Diagnostics;
using System.Text.Json;
using Amazon.SQS;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Dapper;
using MySqlConnector;
using OrderPipeline.Messaging.Events;
using OrderPipeline.Testing;

namespace OrderPipeline.FaultRun;

/// <summary>What a fault run did and found.</summary>
/// <param name="ProcessorTimeout">In the Lambda shape, order-processor's timeout as the run had it.</param>
public sealed record FaultRunResult(
    FaultRunOptions Options,
    DateTimeOffset StartedAt,
    IReadOnlyList<FaultEvent> Faults,
    IReadOnlyList<Check> Checks,
    IReadOnlyDictionary<string, string> Figures,
    TimeSpan? ProcessorTimeout = null)
{
    public bool Passed => Checks.All(c => c.Passed) && Faults.All(f => f.Problem is null);
}

/// <summary>
/// Starts the system, places orders while the <see cref="FaultSchedule"/> kills and freezes its parts, injects
/// duplicate and poison messages, waits for everything to settle and reconciles.
/// </summary>
public static class FaultRunner
{
    public static async Task<FaultRunResult> RunAsync(FaultRunOptions options, TextWriter progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(progress);
        var startedAt = DateTimeOffset.UtcNow;
        progress.WriteLine(options.Lambda
            ? "Starting the system in its Lambda shape (functions behind the HTTP API and their event sources) ..."
            : $"Starting the system ({options.Processors} Processors) ...");
        await using var pipeline = await PipelineSystem.StartAsync(
            PipelineSystemOptions.ForProgram with
            {
                QuickRetries = true,
                Processors = options.Processors,
                Lambda = options.Lambda,
                Configure = options.Lambda ? VisibilityPastTimeouts : null,
            },
            cancellationToken);
        TimeSpan? processorTimeout = options.Lambda ? pipeline.TimeoutOf(FaultSchedule.ProcessorFunction) : null;
        if (processorTimeout is { } timeout)
        {
            progress.WriteLine($"{FaultSchedule.ProcessorFunction}'s timeout: {timeout.TotalSeconds:0} s; the freeze lasts {options.OutageSeconds} s.");
        }
        var connectionString = pipeline.ConnectionString;
        using var sqs = pipeline.CreateSqsClient();
        var api = pipeline.Api;

        var run = Guid.NewGuid().ToString("N")[..8];
        var customerId = $"fault-{run}";
        var stock = await AddProductsAsync(connectionString, run, options);
        var poison = new HashSet<string>(StringComparer.Ordinal);
        var load = new OrderLoad(api, customerId, [.. stock.Keys], options);
        var faults = new FaultSchedule(pipeline, options, progress);

        progress.WriteLine($"Placing {options.Orders} orders over {options.LoadSeconds} s; outages of {options.OutageSeconds} s ...");
        var clock = Stopwatch.StartNew();
        var loadTask = load.RunAsync(clock, cancellationToken);
        var faultTask = faults.RunAsync(clock, cancellationToken);
        await Task.Delay(TimeSpan.FromSeconds(options.LoadSeconds * 0.3), cancellationToken);
        var createdPoison = await SendPoisonAsync(sqs, "order-created", run, options.PoisonMessages, poison, cancellationToken);
        var processedPoison = await SendPoisonAsync(sqs, "order-processed", run, Math.Max(1, options.PoisonMessages / 3), poison, cancellationToken);
        await Task.WhenAll(loadTask, faultTask);
        var loadEnded = clock.Elapsed;
        var duplicates = await SendDuplicatesAsync(sqs, load.Orders, customerId, cancellationToken);
        progress.WriteLine($"[{loadEnded.TotalSeconds,6:0.0} s] load done; {duplicates} duplicate OrderCreated messages sent; "
            + "waiting for everything to settle ...");

        var reconciliation = new Reconciliation(connectionString, sqs, customerId, stock);
        var accepted = load.Orders.Count(o => o.OrderId is not null);
        var settleDeadline = clock.Elapsed + options.SettleWithin;
        var settled = false;
        while (!settled && clock.Elapsed < settleDeadline)
        {
            settled = await TryAsync(() => reconciliation.IsSettledAsync(accepted, createdPoison, processedPoison, cancellationToken));
            if (!settled)
            {
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
            }
        }
        var settledAfter = clock.Elapsed - loadEnded;
        progress.WriteLine($"[{clock.Elapsed.TotalSeconds,6:0.0} s] {(settled ? "settled" : "NOT settled")} "
            + $"{settledAfter.TotalSeconds:0} s after the load; reconciling ...");

        var checks = await reconciliation.CheckAsync([.. load.Orders], poison, cancellationToken);
        var restarts = new List<string>();
        // In the Lambda shape no service is supervised (a function starts sandboxes as it needs them); MySQL still is.
        foreach (var resource in options.Lambda ? ["mysql"] : pipeline.Processors.Append("notifier").Append("mysql"))
        {
            restarts.Add($"{resource} {await pipeline.RestartsOfAsync(resource, cancellationToken)}");
        }
        var figures = new Dictionary<string, string>
        {
            ["orders placed"] = Invariant(options.Orders),
            ["accepted (202)"] = Invariant(accepted),
            [options.Lambda ? "requests retried by clients (429, API Gateway's 500, the Api's 503, timeouts)" : "requests retried by clients (503, timeouts)"] =
                Invariant(load.Retries),
        };
        if (options.Lambda)
        {
            figures["API Gateway's own answers to the clients: 429 (throttled by the stage), 500 (invocation throttled, failed or timed out)"] =
                $"{Invariant(load.Throttled)}, {Invariant(load.GatewayErrors)}";
        }
        figures["answers that said the outcome was unknown"] = Invariant(load.Orders.Sum(o => o.UncertainIds.Count));
        figures["answers to unkeyed orders that named no order but may hide one (API Gateway's 500, no answer)"] =
            Invariant(load.Orders.Sum(o => o.HiddenOutcomes));
        figures["duplicate OrderCreated messages injected"] = Invariant(duplicates);
        figures["poison messages injected"] = Invariant(poison.Count);
        figures["load duration"] = $"{loadEnded.TotalSeconds:0} s";
        figures["settled after the load"] = settled ? $"{settledAfter.TotalSeconds:0} s" : $"not within {options.SettleWithin.TotalSeconds:0} s";
        figures["restarts by the AppHost's supervisor"] = string.Join(", ", restarts);
        if (options.Lambda)
        {
            foreach (var function in (string[])["create-order", FaultSchedule.ProcessorFunction, FaultSchedule.NotifierFunction])
            {
                figures[$"{function} (function)"] = (await pipeline.CountersOfAsync(function, cancellationToken)).ToString();
            }
        }
        foreach (var check in checks)
        {
            progress.WriteLine($"  {(check.Passed ? "ok  " : "FAIL")} {check.Name}: {check.Detail}");
        }
        foreach (var (name, value) in figures)
        {
            progress.WriteLine($"  {name}: {value}");
        }
        return new FaultRunResult(options, startedAt, faults.Events, checks, figures, processorTimeout);
    }

    private static string Invariant(int value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// In the Lambda shape, each consumed queue's visibility timeout a little longer than its function's timeout,
    /// instead of the tests' quick 5 s. AWS refuses an event source whose queue's visibility timeout is shorter than the
    /// function's timeout: a batch would be received again while its invocation still runs (waiting on a frozen
    /// database, say), and after three such receives valid messages go to the DLQ (a full run with 5 s moved 21 valid
    /// copies there). With the template's minutes, a batch whose sandbox was killed would come back only minutes later.
    /// </summary>
    private static void VisibilityPastTimeouts(IDistributedApplicationTestingBuilder builder)
    {
        foreach (var source in builder.Resources.OfType<SqsEventSourceResource>())
        {
            builder.CreateResourceBuilder(source.Queue).WithVisibilityTimeout(source.Parent.Options.Timeout + TimeSpan.FromSeconds(5));
        }
    }

    /// <summary>Ten products with about three quarters of the stock the orders ask for, so that some orders FAIL.</summary>
    private static async Task<Dictionary<string, int>> AddProductsAsync(string connectionString, string run, FaultRunOptions options)
    {
        const int Products = 10;
        var stock = Math.Max(1, options.Orders * 4 * 3 / 4 / Products);
        var products = Enumerable.Range(1, Products).ToDictionary(i => $"F-{run}-{i:D2}", _ => stock);
        await using var connection = new MySqlConnection(connectionString);
        await connection.ExecuteAsync(
            "INSERT INTO inventory (product_id, product_name, quantity_available) VALUES (@Id, 'fault run', @Stock)",
            products.Select(p => new { Id = p.Key, Stock = p.Value }));
        return products;
    }

    /// <summary>Bodies that can never succeed: not JSON, and JSON that is not the event. They must end in the DLQ.</summary>
    private static async Task<int> SendPoisonAsync(
        IAmazonSQS sqs, string queue, string run, int count, HashSet<string> poison, CancellationToken cancellationToken)
    {
        var url = (await sqs.GetQueueUrlAsync(queue, cancellationToken)).QueueUrl;
        for (var i = 0; i < count; i++)
        {
            var body = i % 2 == 0 ? $"poison {run} {queue} {i}: not JSON" : $$"""{"order_id":"poison-{{run}}-{{i}}"}""";
            await sqs.SendMessageAsync(url, body, cancellationToken);
            poison.Add(body);
        }
        return count;
    }

    /// <summary>At-least-once delivery, forced: every tenth accepted order's OrderCreated is delivered a second time.</summary>
    private static async Task<int> SendDuplicatesAsync(IAmazonSQS sqs, IEnumerable<PlacedOrder> orders, string customerId, CancellationToken cancellationToken)
    {
        var url = (await sqs.GetQueueUrlAsync("order-created", cancellationToken)).QueueUrl;
        var sent = 0;
        foreach (var order in orders.Where(o => o.OrderId is not null && o.Number % 10 == 1))
        {
            var created = new OrderCreated(order.OrderId!, customerId, [.. order.Items.Select(i => new OrderLine(i.ProductId, i.Quantity))], DateTime.UtcNow);
            await sqs.SendMessageAsync(url, JsonSerializer.Serialize(created, EventJsonContext.Default.OrderCreated), cancellationToken);
            sent++;
        }
        return sent;
    }

    private static async Task<bool> TryAsync(Func<Task<bool>> check)
    {
        try
        {
            return await check();
        }
        catch (Exception ex) when (ex is MySqlException or AmazonSQSException or HttpRequestException)
        {
            return false; // a part is still coming back
        }
    }
}
