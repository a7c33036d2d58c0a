using System.Globalization;
using System.Text;

namespace OrderPipeline.Benchmarks;

/// <summary>The suite's figures as Markdown: printed on the console and written to docs/benchmarks.md.</summary>
public static class BenchmarkReport
{
    private const int BarWidth = 50;

    public static string Render(SuiteResult r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var md = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        // One interpolated string a line, formatted invariantly; Markdown joins a paragraph's lines.
        void Line(FormattableString text) => md.Append(text.ToString(inv)).Append('\n');
        void Text(string text = "") => md.Append(text).Append('\n');
        var o = r.Options;
        var closed = r.Closed.Run;
        var open = r.Open.Run;
        var traces = o.TraceSampleRatio >= 1 ? "every order's trace kept"
            : string.Create(inv, $"{o.TraceSampleRatio:0.##%} of the orders' traces kept, as the README says to run a load test");
        var dashboard = o.Dashboard ? $"with the Aspire dashboard receiving the services' telemetry, {traces}" : "**without the dashboard** (`--no-dashboard`)";

        Text("# Benchmarks");
        Text();
        Line($"Measured {r.StartedAt:yyyy-MM-dd HH:mm} UTC by `dotnet run -c Release --project bench/OrderPipeline.Benchmarks -- --suite");
        Text(string.Create(inv, $"--duration {o.Duration} --orders {o.Orders} --clients {o.Clients} --warm-up {o.WarmUp}"
            + $"{(o.Dashboard ? "" : " --no-dashboard")}{(o.TraceSampleRatio == SuiteOptions.LoadTestSampleRatio ? "" : $" --sample {o.TraceSampleRatio}")} "
            + $"--report docs/benchmarks.md`{(o.Small ? " (`--small`: a check, not a measurement)" : "")},"));
        Line($"on {r.Machine.Processors} cores ({r.Machine.CpuModel}), {r.Machine.OperatingSystem}, {r.Machine.Runtime}.");
        Text("One system, started from the AppHost's app model as the README runs it (MariaDB 10.11, the fauxqs emulator in memory,");
        Line($"the three services, {dashboard}),");
        Line($"measured in this order: the raw limits while the services idle, then the whole system after a warm-up that is not");
        Line($"counted ({o.WarmUp} orders: until then the services run code still being compiled).");
        Line($"Load average (1, 5, 15 min) before it started: {r.Machine.LoadAverage}; above {r.Machine.Processors}, other work shared the cores.");
        Text("Everything, the load generator included, shares the same cores: figures vary up to 2x between runs; compare within one.");
        Text();

        Text("## Sustained, closed loop");
        Text();
        Line($"{o.Clients} clients, each posting its next order once its last was accepted, for {o.Duration} s; 20 products with ample stock.");
        Text();
        Line($"- **{closed.SettledPerSecond:0} orders settled/s**: {closed.Orders} orders posted ÷ {closed.SettleSeconds:0.0} s from the first POST to the");
        Line($"  last order's processed_at ({closed.LoadSeconds:0.0} s of load, {closed.DrainSeconds:0.0} s of drain);");
        Line($"  {closed.AcceptedPerSecond:0} accepted/s; {closed.QueuedRefusals} POSTs answered 503 orders-queued and sent again after Retry-After.");
        Text(string.Create(inv, $"- **÷ the minimal order transaction, raw at 4 connections ({r.MinimalDatabaseAt4:0}/s): "
            + $"{r.SettledToMinimalDatabase(closed):0.00}** "
            + $"(target ≥ {SuiteResult.MinimalRatioGoal:0.0}{Verdict(r.SettledToMinimalDatabase(closed) >= SuiteResult.MinimalRatioGoal)})."));
        Line($"- **÷ the project's own order transaction, raw at 4 connections ({r.RawDatabaseAt4:0}/s): {r.SettledToRawDatabase(closed):0.00}**.");
        var dashboardCpu = r.Closed.CpuMillisecondsPerOrderOf(ProcessSampler.Dashboard);
        Text(o.Dashboard
            ? string.Create(inv, $"- **The dashboard's CPU per settled order: {dashboardCpu:0.00} ms** (target ≤ {SuiteResult.DashboardCpuGoalMs:0.0} ms"
                + $"{Verdict(dashboardCpu <= SuiteResult.DashboardCpuGoalMs)}).")
            : "- The dashboard's CPU per settled order: not measured, the dashboard was off.");
        if (r.EveryTrace is { } every)
        {
            Text(string.Create(inv, $"- **With every order's trace kept** (a developer's run; a second system after this one, the same warm-up and "
                + $"closed loop): {every.Run.SettledPerSecond:0} settled/s, {r.SettledToMinimalDatabase(every.Run):0.00} × the minimal transaction; "
                + $"the dashboard's CPU per settled order {every.CpuMillisecondsPerOrderOf(ProcessSampler.Dashboard):0.00} ms; "
                + $"every process together {every.CpuMillisecondsPerOrder:0.00} ms; peak RSS "
                + $"{string.Join(", ", SuiteResult.Services.Select(s => Rss(every, s)))}."));
        }
        Text(string.Create(inv, $"- **Peak RSS** (goal ≤ {SuiteResult.ServiceRssGoalMb:0} MB each): "
            + $"{string.Join(", ", SuiteResult.Services.Select(s => Rss(r.Closed, s)))}."));
        Text(string.Create(inv, $"- CPU per settled order, every process together: {r.Closed.CpuMillisecondsPerOrder:0.00} ms; "
            + $"stock {(closed.StockConserved ? "conserved" : "**NOT conserved**")}."));
        Text();
        Line($"Then an open loop: orders arriving at a fixed **{SuiteOptions.OpenLoopFraction:0.0} × the closed loop's settled rate**, each sent on");
        Line($"time whatever happened to the ones before, for {o.Duration} s. The closed loop's rate is the most the system settles here;");
        Text("the margin absorbs what the shared cores, collections and the dashboard take now and then, so that the latency is the");
        Text("pipeline's and not a backlog growing for the whole run. Its drain shows whether the rate was sustained (a few batches' time).");
        Text();
        Line($"- {open.Orders} orders at {open.Orders / open.LoadSeconds:0}/s: {open.SettledPerSecond:0} settled/s,");
        Line($"  drained {open.DrainSeconds:0.0} s after the load; POST p50 {open.PostP50Ms:0.0} ms, p99 {open.PostP99Ms:0.0} ms;");
        Line($"  **accepted→PROCESSED p50 {open.ToProcessedP50Ms:0} ms, p99 {open.ToProcessedP99Ms:0} ms**.");
        var openDashboard = o.Dashboard
            ? string.Create(inv, $"; the dashboard's CPU per settled order {r.Open.CpuMillisecondsPerOrderOf(ProcessSampler.Dashboard):0.00} ms")
            : "";
        Text(string.Create(inv, $"- Peak RSS {string.Join(", ", SuiteResult.Services.Select(s => Rss(r.Open, s)))}{openDashboard}."));
        Text();

        Text("## Ratios");
        Text();
        Text("Settled/s over a raw order transaction's rate at 4 connections, one order per transaction straight against the same MariaDB:");
        Text("the minimal one (the target's denominator: what any implementation needs) and the project's own (what this Processor's");
        Text("statements cost without the queue and the services). The CPU is every process's, the dashboard's and the load generator's");
        Text("included, from the run's first POST until its last order settled.");
        Text();
        Text("| run | settled/s | ÷ minimal raw at 4 | ÷ project's raw at 4 | accepted/s ÷ raw single sends at 8 senders "
            + "| CPU per settled order | dashboard CPU per order |");
        Text("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var m in r.Runs)
        {
            var s = m.Run;
            Text(string.Create(inv, $"| {s.Scenario}, {s.Load} | {s.SettledPerSecond:0} | {r.SettledToMinimalDatabase(s):0.00} "
                + $"| {r.SettledToRawDatabase(s):0.00} | {r.AcceptedToRawQueue(s):0.00} | {m.CpuMillisecondsPerOrder:0.00} ms "
                + $"| {m.CpuMillisecondsPerOrderOf(ProcessSampler.Dashboard):0.00} ms |"));
        }
        Text();
        Text(string.Create(inv, $"The CPU budget the target implies on these {r.Machine.Processors} cores "
            + $"({r.Machine.Processors} × 1000 ms ÷ the settled rate): "
            + $"{r.CpuBudgetMilliseconds(1.0):0.0} ms per order at 1.0 × the minimal raw rate, {r.CpuBudgetMilliseconds(SuiteResult.MinimalRatioGoal):0.0} ms "
            + $"at {SuiteResult.MinimalRatioGoal:0.0} ×."));
        Text("A closed loop keeps the cores busy, so its CPU per order is about that quotient at its own rate; the open loop leaves them");
        Text("partly idle, and its figure includes what idle consumers, pollers and the dashboard cost per order.");
        Text();

        Text("## Raw limits");
        Text();
        Line($"One order per transaction, {r.Database[0].Orders} orders per level. Minimal: insert the order row, `SELECT … WHERE product_id IN (…)");
        Line($"ORDER BY product_id FOR UPDATE` 1-3 random products out of {RawDatabaseBenchmark.MinimalProducts:N0}, decrement each, commit. The project's:");
        Text("the Processor's statements for a one-line order (lock the order, insert it, lock and decrement the product, update the");
        Text("status, insert the outbox row, commit, at READ COMMITTED with its lock wait timeout set).");
        Text();
        Text("| connections | minimal orders/s | project's orders/s |");
        Text("| ---: | ---: | ---: |");
        foreach (var (project, minimal) in r.Database.Zip(r.MinimalDatabase))
        {
            Line($"| {project.Connections} | {minimal.OrdersPerSecond:0} | {project.OrdersPerSecond:0} |");
        }
        Text();
        Line($"Sending to a scratch queue of the same emulator, {r.Queue.Senders} senders, {r.Queue.Messages} messages each way:");
        Text();
        Text("| call | messages/s |");
        Text("| --- | ---: |");
        Line($"| SendMessage | {r.Queue.SingleSendsPerSecond:0} |");
        Line($"| SendMessageBatch of {SuiteOptions.BatchSize} | {r.Queue.BatchMessagesPerSecond:0} |");
        Text();

        Text("## The whole system");
        Text();
        Line($"Sustained: the loops above, {o.Duration} s of load each. Bursts: {o.Orders} orders from {o.Clients} closed-loop clients, on the");
        Text("spread (20 products with ample stock) and on the hot products (2, with stock for a quarter of the orders: the rest FAILED).");
        Text("Settled/s counts until the last order is PROCESSED or FAILED, from the first POST; accepted→PROCESSED is the order's");
        Text("created_at (the Api's acceptance) to its processed_at, over the PROCESSED orders. Drain: from the last POST's answer to");
        Text("the last order settled. Batch: orders per transaction, in the Processor and in the Notifier (orders ÷ distinct");
        Text("processed_at, notified_at).");
        Text();
        Text("| scenario | load | orders | accepted/s | settled/s | drain | POST p50 | POST p99 | 503 orders-queued "
            + "| accepted→PROCESSED p50 | p99 | batch | stock |");
        Text("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
        foreach (var s in r.System)
        {
            Text(string.Create(inv, $"| {s.Scenario} | {s.Load} | {s.Orders} | {s.AcceptedPerSecond:0} | {s.SettledPerSecond:0} | {s.DrainSeconds:0.0} s "
                + $"| {s.PostP50Ms:0.0} ms | {s.PostP99Ms:0.0} ms | {s.QueuedRefusals} | {s.ToProcessedP50Ms:0} ms | {s.ToProcessedP99Ms:0} ms "
                + $"| {s.ProcessorBatch:0.0} / {s.NotifierBatch:0.0} | {(s.StockConserved ? "conserved" : "**NOT conserved**")} |"));
        }
        Text();

        Text("## Throughputs");
        Text();
        var bars = new List<(string Label, double Value)>();
        bars.AddRange(r.MinimalDatabase.Select(d => ($"raw DB minimal, {d.Connections} conn.", d.OrdersPerSecond)));
        bars.AddRange(r.Database.Select(d => ($"raw DB project's, {d.Connections} conn.", d.OrdersPerSecond)));
        bars.Add(($"raw SendMessage, {r.Queue.Senders} senders", r.Queue.SingleSendsPerSecond));
        bars.Add(($"raw SendMessageBatch of {SuiteOptions.BatchSize}", r.Queue.BatchMessagesPerSecond));
        foreach (var s in r.System)
        {
            var load = s.Load.StartsWith("bursts", StringComparison.Ordinal) ? "burst"
                : s.Load.Contains("closed", StringComparison.Ordinal) ? "sustained closed" : "sustained open";
            bars.Add(($"{s.Scenario} {load}: accepted", s.AcceptedPerSecond));
            bars.Add(($"{s.Scenario} {load}: settled", s.SettledPerSecond));
        }
        Text("Per second, on a square-root scale (the raw queue is an order of magnitude above the rest):");
        Text();
        Text("```text");
        var top = Math.Sqrt(bars.Max(b => b.Value));
        var width = bars.Max(b => b.Label.Length);
        foreach (var (label, value) in bars)
        {
            var length = Math.Max(1, (int)Math.Round(Math.Sqrt(value) / top * BarWidth));
            Line($"{label.PadRight(width)} {new string('█', length)} {value:0}");
        }
        Text("```");
        Text();

        Text("## CPU and memory per process");
        Text();
        Text("CPU time from /proc/PID/stat (utime + stime) and the largest resident set seen (sampled every 0.5 s), per process, over");
        Text("each run from its first POST until its last order settled. The AppHost runs inside the benchmark's own process here");
        Text("(Aspire.Hosting.Testing), with the load generator; the dashboard is the process DCP starts from Aspire.Dashboard.");
        Text();
        ProcessTable($"Sustained closed loop ({closed.Orders} settled orders in {closed.SettleSeconds:0} s):", r.Closed.Processes, closed.Orders);
        ProcessTable($"Sustained open loop ({open.Orders} settled orders in {open.SettleSeconds:0} s):", r.Open.Processes, open.Orders);
        ProcessTable($"Every run together, bursts included ({r.SettledInSystemPhase} settled orders in {r.SystemPhase.TotalSeconds:0} s):",
            r.Processes, r.SettledInSystemPhase);
        return md.ToString();

        void ProcessTable(FormattableString title, IReadOnlyList<ProcessUsage> processes, long orders)
        {
            Line(title);
            Text();
            Text("| process | count | CPU s | CPU ms per settled order | share | peak RSS |");
            Text("| --- | ---: | ---: | ---: | ---: | ---: |");
            var totalCpu = processes.Sum(p => p.CpuMilliseconds);
            foreach (var p in processes)
            {
                Text(string.Create(inv, $"| {p.Name} | {p.Processes} | {p.CpuMilliseconds / 1000:0.0} | {p.CpuMilliseconds / orders:0.00} "
                    + $"| {(totalCpu > 0 ? p.CpuMilliseconds / totalCpu : 0):0%} | {p.PeakRssMb:0} MB |"));
            }
            Text(string.Create(inv, $"| **all** | {processes.Sum(p => p.Processes)} | {totalCpu / 1000:0.0} | {totalCpu / orders:0.00} | 100% "
                + $"| {processes.Sum(p => p.PeakRssMb):0} MB |"));
            Text();
        }

        string Rss(MeasuredRun run, string service)
        {
            var mb = run.PeakRssMbOf(service);
            return string.Create(inv, $"{service} {mb:0} MB{(mb <= SuiteResult.ServiceRssGoalMb ? "" : " (over)")}");
        }
    }

    private static string Verdict(bool met) => met ? ", met" : ", **not met**";
}
