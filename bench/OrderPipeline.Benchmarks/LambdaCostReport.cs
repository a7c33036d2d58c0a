using System.Globalization;
using System.Text;

namespace OrderPipeline.Benchmarks;

/// <summary>A <c>--lambda</c> run as its section of docs/benchmarks.md, at the document's end.</summary>
public static class LambdaCostReport
{
    /// <summary>The section's heading: from it to the end of the document is the <c>--lambda</c> run's.</summary>
    public const string Heading = "## Lambda shape: what it costs";

    /// <summary>The section, heading included.</summary>
    public static string Render(LambdaCostResult r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var md = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        // Markdown joins a paragraph's lines: one interpolated string a line (a table row in two parts), formatted invariantly.
        void Part(FormattableString text) => md.Append(text.ToString(inv));
        void Line(FormattableString text) => md.Append(text.ToString(inv)).Append('\n');
        void Text(string text = "") => md.Append(text).Append('\n');
        var o = r.Options;
        var run = r.Run;
        var memory = string.Join(", ", r.Functions.Select(f => f.Cost.MemoryMb).Distinct().Select(m => m.ToString(inv) + " MB"));
        var scheduled = r.Functions.Sum(f => f.ScheduledRuns);

        Text(Heading);
        Text();
        Line($"Measured {r.StartedAt:yyyy-MM-dd HH:mm} UTC by `dotnet run -c Release --project bench/OrderPipeline.Benchmarks -- --lambda");
        Part($"--orders {o.Orders} --clients {o.Clients} --warm-up {o.WarmUp} --report docs/benchmarks.md`");
        Text(o.Small ? " (`--small`: a check, not a measurement)," : ",");
        Line($"on a **shared {r.Machine.Processors}-core machine** ({r.Machine.CpuModel}; load average {r.Machine.LoadAverage} before it started):");
        Text("other work ran beside it, and every sandbox, the SQS emulator, MariaDB and the load generator share those cores.");
        Text("The times are this machine's, not Graviton's; what carries over to AWS is the shape of the bill (invocations per order,");
        Text("init against duration, how the orders share an invocation). Runs here differ up to 2x in duration; faster functions");
        Text("drain the queues sooner and so take smaller batches, which makes the cost per order move less than the durations do.");
        Text();
        Text("The system in its Lambda shape (docs/lambda-shape.md), configured from infra/template.yaml (the table's \"invoked by\"),");
        Line($"the relay's schedule at its {Rate(r.Relay.Rate)}.");
        Text();
        Line($"- **Load**: {o.WarmUp} orders of warm-up, not counted (the sandboxes start, scale up and compile their code), then a");
        Line($"  closed loop of **{run.Orders} orders** from {o.Clients} clients, each posting its next order once its last was accepted; 20");
        Text("  products with ample stock, one item an order; POSTs only. API Gateway's stage throttle sets the pace.");
        Line($"- **Clients** retry API Gateway's 429 and 500 as its clients must: in the phase {r.Throttled} answers were the stage's 429 and");
        Line($"  {r.Refused} its 500 (create-order at its concurrency cap; Lambda bills neither). They also retry a 503 (API Gateway's");
        Line($"  integration timeout, or the Api's when the queue did not confirm in time): {r.Unavailable} in the phase, {r.WarmUpUnavailable} in the");
        Text("  warm-up, where the cold starts are.");
        Line($"- **Phase**: from the functions' readings before the loop to the ones after every order was settled and notified,");
        Line($"  {r.Phase.TotalSeconds:0} s, of which {run.Orders / run.AcceptedPerSecond:0} s of load");
        Part($"  ({run.AcceptedPerSecond:0} orders accepted/s, {run.SettledPerSecond:0} settled/s); ");
        Text(run.StockConserved ? "stock conserved." : "stock **NOT conserved**.");
        Line($"- **Orders**, every per-order figure's denominator: the {r.Recorded} the database recorded in the phase, for {run.Orders} posted");
        Text("  (one posted again after a 503 may have been placed twice).");
        Text();
        Text("| function | invoked by | memory | invocations | throttled | cold starts | mean init | mean duration | extensions after the answer "
            + "| orders per invocation | GB-s per 1,000 orders | $ per million orders |");
        Text("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var f in r.Functions)
        {
            var c = f.Cost;
            Part($"| {c.Function} | {f.InvokedBy} | {c.MemoryMb} MB | {c.Invocations} | {f.Throttles} | {c.ColdStarts} ");
            Part($"| {c.MeanInitMs:0} ms ({f.ColdStartsSinceStart}) | {c.MeanDurationMs:0.0} ± {f.DurationRoundingBound:0.0} ms ");
            Part($"| {c.MeanExtensionsMs:0.0} ms ");
            Line($"| {c.OrdersPerInvocation:0.00} | {c.GbSecondsPerThousandOrders:0.000} | ${c.DollarsPerMillionOrders:0.00} |");
        }
        Part($"| **all three** | | | {r.Functions.Sum(f => f.Cost.Invocations)} | {r.Functions.Sum(f => f.Throttles)} ");
        Part($"| {r.Functions.Sum(f => f.Cost.ColdStarts)} | | | | ");
        Line($"| **{r.GbSecondsPerThousandOrders:0.000}** | **${r.DollarsPerMillionOrders:0.00}** |");
        Text();
        Line($"**The relay's schedule**, whatever the load: {r.RelayDurationsMs.Count} runs of {r.Relay.Function} on the idle system after the phase,");
        Part($"each on a frozen sandbox, took {string.Join(", ", r.RelayDurationsMs.Select(d => d.ToString("0", inv)))} ms ");
        Line($"to the answer and the extensions after it (mean {r.Relay.MeanDurationMs:0.0} ms):");
        Line($"{r.Relay.InvocationsPerMonth:#,0} invocations a month, {r.Relay.GbSecondsPerMonth:#,0} GB-s, **${r.Relay.DollarsPerMonth:0.00} a month**.");
        if (scheduled > 0)
        {
            Line($"The schedule's own runs during the phase ({scheduled}) are left out of {r.Relay.Function}'s invocations above.");
        }
        Text();
        Text("How the columns are made:");
        Text();
        Text("- **Invocations**: the ones that ran in the phase (throttled ones are neither billed nor timed). **Orders per");
        Line($"  invocation**: the phase's {r.Recorded} orders ÷ invocations.");
        Text("- **Mean init**: over every cold start since the system started (their number in brackets), from starting a sandbox's");
        Text("  process to its readiness check answering. Each cold start in the phase is billed one mean init (Lambda bills the");
        Text("  INIT phase of managed runtimes since August 2025). Here they are mostly sandboxes started together on two cores");
        Text("  (a function's first, then its scale-up in the warm-up, beside everything else starting): this machine's figure,");
        Text("  not Lambda's.");
        Text("- **Mean duration**: over the phase's invocations, from the function's dashboard, whose running mean is in whole");
        Text("  milliseconds: the phase's mean is the difference of the running totals, exact to within the ± shown. The relay's runs");
        // Not "+ 0.5 ms" at a line's start: Markdown would read a nested list item.
        Text("  in the phase are in order-processor's mean.");
        Text("- **Extensions after the answer**: the services' telemetry extension flushing the invocation's telemetry before the");
        Text("  sandbox is frozen (docs/lambda-shape.md), which Lambda bills with the duration (`PostRuntimeExtensionsDuration`); its");
        Text("  mean likewise. The benchmark's system sends its telemetry nowhere (no exporter), so this is the Extensions API's round");
        Text("  trip and an empty flush: in AWS the flush also sends the sampled traces (5% by default) to X-Ray. Lambda bills the");
        Line($"  duration and the extensions' time together rounded up to the millisecond: on average {LambdaPrices.RoundingUpMs} ms more than their means.");
        Line($"- **GB-s** at the memory the template gives each function ({memory}, its `LambdaMemorySize` parameter's default):");
        Text("  (invocations × (mean duration + extensions + 0.5 ms) + cold starts × mean init) × memory ÷ 1024 MB.");
        Part($"- **$**: arm64 at ${LambdaPrices.PerGbSecond:0.0000000000} per GB-second and ");
        Line($"${LambdaPrices.PerMillionRequests:0.00} per million requests, no free tier;");
        Text("  Lambda's share only (API Gateway, SQS, logs and RDS: infra/README.md's \"What it costs\").");
        Text();
        Text("Not measured here: GET requests (infra/README.md's estimate counts one per order, another create-order invocation), and a");
        Text("load that comes and goes: each time the functions scale up again, every new sandbox pays an init, here worth");
        Text(string.Join(", ", r.Functions.Select(f => string.Create(inv,
            $"{f.Cost.MeanInitMs / f.Cost.BilledMs:0} warm invocations of {f.Cost.Function}"))) + ".");
        Line($"The whole run took {r.Elapsed.TotalMinutes:0.0} minutes, the system's start and the warm-up included.");
        return md.ToString();

        static string Rate(TimeSpan rate) => rate == TimeSpan.FromMinutes(1)
            ? "rate of once a minute"
            : string.Create(CultureInfo.InvariantCulture, $"rate of once every {rate.TotalSeconds:0} s");
    }
}
