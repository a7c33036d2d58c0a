using System.Diagnostics;
using System.Globalization;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using MySqlConnector;
using OrderPipeline.Testing;

namespace OrderPipeline.Benchmarks;

/// <summary>One function's figures over the measured phase, and its cost.</summary>
/// <param name="Cost">Invocations, cold starts, mean init and duration, orders, and what they cost.</param>
/// <param name="Throttles">Invocations refused at the concurrency cap in the phase (not billed; the client retried them).</param>
/// <param name="Errors">Invocations that failed in the phase.</param>
/// <param name="ColdStartsSinceStart">The cold starts the mean init is over: every one since the system started.</param>
/// <param name="DurationRoundingBound">
/// How far the phase's mean duration may be off from the dashboard's whole milliseconds (its mean extensions' time likewise).
/// </param>
/// <param name="ScheduledRuns">The schedule's runs in the phase, left out of the invocations (priced per month instead).</param>
/// <param name="InvokedBy">What invokes it in the phase, with the template's settings that shape its invocations.</param>
public sealed record LambdaFunctionFigures(
    FunctionCost Cost, long Throttles, long Errors, long ColdStartsSinceStart, double DurationRoundingBound, long ScheduledRuns, string InvokedBy);

/// <summary>Everything a <c>--lambda</c> run measured.</summary>
/// <param name="WarmUp">The run before the phase, not counted.</param>
/// <param name="Run">The measured phase's run.</param>
/// <param name="Recorded">
/// The orders the database recorded in the phase: every per-order figure's denominator. More than the run posted when an
/// order placed before API Gateway's integration timeout was posted again.
/// </param>
/// <param name="Phase">From the readings before the run to the ones after it: the load, the drain and the notifications.</param>
/// <param name="Throttled">The stage's 429s the clients were answered in the phase (each retried).</param>
/// <param name="Refused">API Gateway's own 500s the clients were answered in the phase (each retried).</param>
/// <param name="Unavailable">503s in the phase, API Gateway's (its integration timeout) or the Api's (each retried).</param>
/// <param name="WarmUpUnavailable">The same in the warm-up, where the sandboxes' cold starts are.</param>
/// <param name="Relay">The relay's schedule, priced per month from <paramref name="RelayDurationsMs"/>.</param>
/// <param name="RelayDurationsMs">The durations of the relay's runs on the idle system after the phase, one each.</param>
/// <param name="Elapsed">The whole run, from starting the system to the last reading.</param>
public sealed record LambdaCostResult(
    DateTimeOffset StartedAt,
    MachineInfo Machine,
    SuiteOptions Options,
    SystemResult WarmUp,
    SystemResult Run,
    long Recorded,
    TimeSpan Phase,
    int Throttled,
    int Refused,
    int Unavailable,
    int WarmUpUnavailable,
    IReadOnlyList<LambdaFunctionFigures> Functions,
    ScheduleCost Relay,
    IReadOnlyList<double> RelayDurationsMs,
    TimeSpan Elapsed)
{
    /// <summary>Every function's GB-seconds per 1,000 orders together.</summary>
    public double GbSecondsPerThousandOrders => Functions.Sum(f => f.Cost.GbSecondsPerThousandOrders);

    /// <summary>Every function's dollars per million orders together (the relay's schedule apart).</summary>
    public double DollarsPerMillionOrders => Functions.Sum(f => f.Cost.DollarsPerMillionOrders);

    /// <summary>Whether the run came out whole: stock conserved, and no invocation failed.</summary>
    public bool Passed => WarmUp.StockConserved && Run.StockConserved && Functions.All(f => f.Errors == 0);
}

/// <summary>
/// What the Lambda shape costs, measured: the system started in that shape, a warm-up that is not counted, then a
/// closed loop of orders through the HTTP API; each function's counts and times are read from its dashboard entry
/// before and after (once every order is settled and notified), and the relay's schedule is run a few times on the idle
/// system. The arithmetic is <see cref="FunctionCost"/>'s and <see cref="ScheduleCost"/>'s.
/// </summary>
public static class LambdaCostBenchmark
{
    /// <summary>
    /// API Gateway's clients retry its 429 and its 500 (the function at its concurrency cap); the stage's throttle (50/s on
    /// POST) meets 16 closed-loop clients all the time, so enough attempts that a request never runs out of them.
    /// </summary>
    private const int Attempts = 400;

    // The dashboard's properties are refreshed once a second: a reading waits a little longer after the work.
    private static readonly TimeSpan Refresh = TimeSpan.FromSeconds(2);

    private static readonly TimeSpan NotifiedTimeout = TimeSpan.FromMinutes(5);

    /// <summary>Runs the measurement and renders its section of the report.</summary>
    public static async Task<(LambdaCostResult Result, string Section)> MeasureAsync(
        SuiteOptions options, TextWriter output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var startedAt = DateTimeOffset.UtcNow;
        var elapsed = Stopwatch.StartNew();
        // Before the system starts: what else was running on the machine.
        var machine = MachineInfo.Read();
        using var progress = new BenchmarkProgress(output);
        progress.Say($"Lambda shape: {options.WarmUp} warm-up orders, then {options.Orders} from {options.Clients} closed-loop clients; starting the system");
        await using var system = await PipelineSystem.StartAsync(PipelineSystemOptions.ForProgram with { Lambda = true }, cancellationToken);

        var model = system.App.Services.GetRequiredService<DistributedApplicationModel>();
        var functions = model.Resources.OfType<LambdaFunctionResource>().Where(f => f.Name != "migrations").ToList();
        var relay = model.Resources.OfType<LambdaScheduleResource>().Single();
        // The orders are counted in the database, so a POST answered 503 (cold starts on busy cores pass the integration
        // timeout, or starve the queue's confirmation) is sent again like the throttled ones, though it may have placed one.
        var handler = new ThrottledRequestRetryHandler(Attempts, retryUnavailable: true);
        using var api = new HttpClient(handler) { BaseAddress = system.App.GetEndpoint("api", "http") };
        var bench = new SystemBenchmark(api, system.ConnectionString, progress);
        var spread = new Scenario("spread", 20, null);

        // Not measured: the first orders of each sandbox run code still being compiled, and the functions scale up.
        var warmUp = await bench.RunAsync(spread, new Load("warm-up", options.Clients, null), options.WarmUp, cancellationToken);
        await WaitUntilNotifiedAsync(system.ConnectionString, cancellationToken);
        progress.Say($"warm-up (not counted): {warmUp.Orders} orders, {warmUp.SettledPerSecond:0} settled/s");
        await Task.Delay(Refresh, cancellationToken);

        var before = await ReadAsync(system, functions, relay, cancellationToken);
        var (throttledBefore, refusedBefore, unavailableBefore) = (handler.Throttled, handler.Refused, handler.Unavailable);
        var recordedBefore = await CountOrdersAsync(system.ConnectionString, cancellationToken);
        var phase = Stopwatch.StartNew();
        var run = await bench.RunAsync(spread, new Load($"closed loop, {options.Clients} clients", options.Clients, null), options.Orders, cancellationToken);
        await WaitUntilNotifiedAsync(system.ConnectionString, cancellationToken);
        var phaseTime = phase.Elapsed;
        var recorded = await CountOrdersAsync(system.ConnectionString, cancellationToken) - recordedBefore;
        await Task.Delay(Refresh, cancellationToken);
        var after = await ReadAsync(system, functions, relay, cancellationToken);
        progress.Say($"{run.Orders} orders: {run.AcceptedPerSecond:0} accepted/s, {run.SettledPerSecond:0} settled/s, "
            + $"settled and notified in {phaseTime.TotalSeconds:0} s" + (run.StockConserved ? "" : ", STOCK NOT CONSERVED"));

        var figures = functions.Select(function =>
        {
            var (b, a) = (before.Counters[function.Name], after.Counters[function.Name]);
            var scheduled = relay.Parent == function ? after.RelayRuns - before.RelayRuns : 0;
            var cost = new FunctionCost(function.Name, function.Options.MemorySizeMb, a.Ran - b.Ran - scheduled, a.ColdStarts - b.ColdStarts,
                a.MeanInitMs, RunningMeans.Between(b.MeanDurationMs, b.Ran, a.MeanDurationMs, a.Ran),
                RunningMeans.Between(b.MeanExtensionsMs, b.Answered, a.MeanExtensionsMs, a.Answered), recorded);
            return new LambdaFunctionFigures(cost, a.Throttles - b.Throttles, a.Errors - b.Errors, a.ColdStarts,
                RunningMeans.RoundingBound(b.Ran, a.Ran), scheduled, InvokedBy(model, function));
        }).ToList();
        foreach (var f in figures)
        {
            progress.Say($"{f.Cost.Function}: {f.Cost.Invocations} invocations, {f.Cost.MeanDurationMs:0.0} + {f.Cost.MeanExtensionsMs:0.0} ms mean, "
                + $"{f.Cost.OrdersPerInvocation:0.00} orders each, {f.Cost.GbSecondsPerThousandOrders:0.000} GB-s per 1,000 orders");
        }

        var relayDurations = await RunRelayAsync(system, relay, options.Small ? 2 : 5, progress, cancellationToken);
        var relayCost = new ScheduleCost(relay.Parent.Name, relay.Parent.Options.MemorySizeMb, relay.Rate, relayDurations.Average());
        var result = new LambdaCostResult(startedAt, machine, options, warmUp, run, recorded, phaseTime, handler.Throttled - throttledBefore,
            handler.Refused - refusedBefore, handler.Unavailable - unavailableBefore, unavailableBefore, figures, relayCost, relayDurations, elapsed.Elapsed);
        return (result, LambdaCostReport.Render(result));
    }

    /// <summary>What invokes the function, as the app model has it from the template: its routes or its event sources.</summary>
    private static string InvokedBy(DistributedApplicationModel model, LambdaFunctionResource function)
    {
        var inv = CultureInfo.InvariantCulture;
        var routes = model.Resources.OfType<ApiGatewayEmulatorResource>().SelectMany(g => g.Routes).Where(r => r.Function == function)
            .Select(r => string.Create(inv, $"{r.RouteKey} (stage throttle {r.Options.ThrottlingRateLimit}/s, burst {r.Options.ThrottlingBurstLimit})"));
        var sources = model.Resources.OfType<SqsEventSourceResource>().Where(s => s.Parent == function)
            .Select(s => string.Create(inv,
                $"SQS {s.Queue.QueueName}, batches of {s.Options.BatchSize}, window {s.Options.MaximumBatchingWindow.TotalSeconds:0} s, "
                + $"maximum concurrency {s.Options.EffectiveConcurrency}"));
        var cap = function.Options.ReservedConcurrency is { } reserved ? string.Create(inv, $"; reserved concurrency {reserved}") : "";
        return string.Join("; ", routes.Concat(sources)) + cap;
    }

    /// <summary>Every function's counts and the relay's runs, at one moment (the dashboard's, at most a second old).</summary>
    private static async Task<(Dictionary<string, LambdaCounters> Counters, long RelayRuns)> ReadAsync(
        PipelineSystem system, IEnumerable<LambdaFunctionResource> functions, LambdaScheduleResource relay, CancellationToken cancellationToken)
    {
        var counters = new Dictionary<string, LambdaCounters>(StringComparer.Ordinal);
        foreach (var function in functions)
        {
            counters[function.Name] = await system.CountersOfAsync(function.Name, cancellationToken);
        }
        return (counters, await system.RunsOfAsync(relay.Name, cancellationToken));
    }

    private static async Task<long> CountOrdersAsync(string connectionString, CancellationToken cancellationToken)
    {
        await using var db = new MySqlConnection(connectionString);
        return await db.ExecuteScalarAsync<long>(new CommandDefinition("SELECT COUNT(*) FROM orders", cancellationToken: cancellationToken));
    }

    /// <summary>
    /// Until the notification-sender has recorded every settled order: its invocations for the run are then all counted,
    /// and the next phase starts on an idle pipeline.
    /// </summary>
    private static async Task WaitUntilNotifiedAsync(string connectionString, CancellationToken cancellationToken)
    {
        await using var db = new MySqlConnection(connectionString);
        var waited = Stopwatch.StartNew();
        while (await db.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COUNT(*) FROM orders o LEFT JOIN notifications n ON n.order_id = o.order_id WHERE o.status <> 'PENDING' AND n.order_id IS NULL",
            cancellationToken: cancellationToken)) > 0)
        {
            if (waited.Elapsed > NotifiedTimeout)
            {
                throw new TimeoutException($"settled orders were not all notified within {NotifiedTimeout.TotalMinutes} minutes");
            }
            await Task.Delay(250, cancellationToken);
        }
    }

    /// <summary>
    /// The relay's schedule on the idle system, as it runs whatever the load: <paramref name="runs"/> runs ("Run now"),
    /// each on a frozen sandbox (a few seconds apart), each one's duration and its extensions' time after the answer
    /// read as the function's last.
    /// </summary>
    private static async Task<IReadOnlyList<double>> RunRelayAsync(
        PipelineSystem system, LambdaScheduleResource relay, int runs, BenchmarkProgress progress, CancellationToken cancellationToken)
    {
        var durations = new List<double>();
        while (durations.Count < runs)
        {
            await Task.Delay(TimeSpan.FromSeconds(3), cancellationToken);
            var before = await system.CountersOfAsync(relay.Parent.Name, cancellationToken);
            var ran = await system.ExecuteCommandAsync(relay.Name, LambdaScheduleResource.RunNowCommandName, cancellationToken);
            if (!ran.Success)
            {
                // The schedule's own run is under way: its duration is the same relay's, but take one of ours.
                continue;
            }
            var waited = Stopwatch.StartNew();
            LambdaCounters after;
            while ((after = await system.CountersOfAsync(relay.Parent.Name, cancellationToken)).Invocations == before.Invocations)
            {
                if (waited.Elapsed > TimeSpan.FromSeconds(10))
                {
                    throw new TimeoutException($"{relay.Parent.Name}'s dashboard did not count the relay's run");
                }
                await Task.Delay(200, cancellationToken);
            }
            if (after.Invocations == before.Invocations + 1)
            {
                // The extensions' time is shown once they are done, after the answer: a refresh later.
                await Task.Delay(Refresh, cancellationToken);
                after = await system.CountersOfAsync(relay.Parent.Name, cancellationToken);
                durations.Add(after.LastDurationMs + after.LastExtensionsMs);
                progress.Say($"relay run on the idle system: {after.LastDurationMs:0} + {after.LastExtensionsMs:0} ms");
            }
        }
        return durations;
    }
}
