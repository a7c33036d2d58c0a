using System.Globalization;
using System.Text;

namespace OrderPipeline.Benchmarks;

/// <summary>The suite's figures as Markdown: printed on the console and written to docs/benchmarks.md.</summary>
public static class BenchmarkReport
{
    private const int BarWidth = 50;

    public static string Render(SuiteResult r)
    {
        var md = new StringBuilder();
        void Line(string text = "") => md.Append(text).Append('\n');
        var inv = CultureInfo.InvariantCulture;

        Line("# Benchmarks");
        Line();
        Line(string.Create(inv,
            $"Measured {r.StartedAt:yyyy-MM-dd HH:mm} UTC by `dotnet run -c Release --project bench/OrderPipeline.Benchmarks -- "
            + $"--suite --orders {r.Options.Orders} --clients {r.Options.Clients} --warm-up {r.Options.WarmUp} "
            + $"--report docs/benchmarks.md`,"));
        Line(string.Create(inv, $"on {r.Machine.Processors} cores ({r.Machine.CpuModel}), {r.Machine.OperatingSystem}, {r.Machine.Runtime}."));
        Line("One system, started from the AppHost's app model as the README runs it (MariaDB 10.11, the fauxqs emulator in memory,");
        Line(string.Create(inv,
            $"the three services, no dashboard), measured in this order: the raw limits while the services idle, "
            + $"then the whole system after a warm-up that is not counted ({r.Options.WarmUp} orders: "
            + $"until then the services run code still being compiled)."));
        Line(string.Create(inv,
            $"Load average (1, 5, 15 min) before it started: {r.Machine.LoadAverage}; "
            + $"above {r.Machine.Processors}, other work shared the cores."));
        Line("Everything, the load generator included, shares the same cores: figures vary up to 2x between runs; compare within one.");
        Line();

        Line("## Ratios");
        Line();
        Line("| run | settled/s ÷ raw DB at 4 connections | accepted/s ÷ raw single sends at 8 senders | CPU per settled order, all processes |");
        Line("| --- | ---: | ---: | ---: |");
        for (var i = 0; i < r.System.Count; i++)
        {
            var s = r.System[i];
            Line(string.Create(inv,
                $"| {s.Scenario}, {s.Load} | {r.SettledToRawDatabase(s):0.00} | {r.AcceptedToRawQueue(s):0.00} "
                + $"| {r.CpuMillisecondsPerOrderByRun[i]:0.0} ms |"));
        }
        Line();
        Line(string.Create(inv,
            $"The CPU budget the ratios imply on these {r.Machine.Processors} cores "
            + $"({r.Machine.Processors} × 1000 ms ÷ the settled rate): "
            + $"{r.CpuBudgetMilliseconds(1.0):0.0} ms per order at 1.0 × the raw database rate, "
            + $"{r.CpuBudgetMilliseconds(0.7):0.0} ms at 0.7 ×."));
        Line("A closed loop keeps the cores busy, so its CPU per order is about that quotient at its own rate; an open loop at half");
        Line("the rate leaves them partly idle, and its figure includes what idle consumers and pollers cost.");
        Line();
        Line(string.Create(inv,
            $"CPU per settled order, all processes together, over the whole-system phase "
            + $"({r.SettledInSystemPhase} orders in {r.SystemPhase.TotalSeconds:0} s): "
            + $"**{r.CpuMillisecondsPerSettledOrder:0.0} ms**."));
        Line();

        Line("## Raw limits");
        Line();
        Line("The Processor's order transaction (insert order, `SELECT … WHERE product_id IN (…) ORDER BY product_id FOR UPDATE`,");
        Line("decrement, update status, outbox insert, commit), one order per transaction, straight against the same MariaDB:");
        Line();
        Line("| connections | orders | orders/s |");
        Line("| ---: | ---: | ---: |");
        foreach (var d in r.Database)
        {
            Line(string.Create(inv, $"| {d.Connections} | {d.Orders} | {d.OrdersPerSecond:0} |"));
        }
        Line();
        Line(string.Create(inv, $"Sending to a scratch queue of the same emulator, {r.Queue.Senders} senders, {r.Queue.Messages} messages each way:"));
        Line();
        Line("| call | messages/s |");
        Line("| --- | ---: |");
        Line(string.Create(inv, $"| SendMessage | {r.Queue.SingleSendsPerSecond:0} |"));
        Line(string.Create(inv, $"| SendMessageBatch of {SuiteOptions.BatchSize} | {r.Queue.BatchMessagesPerSecond:0} |"));
        Line();

        Line("## The whole system");
        Line();
        Line("Spread: 20 products with ample stock. Hot: 2 products with stock for a quarter of the orders (the rest FAILED).");
        Line("Closed loop: each client waits for its 202 before posting again. Open loop: a fixed arrival rate, half what the");
        Line("closed loop settled, the most the system sustains (half what it accepted could be more, and would measure a queue).");
        Line("Settled/s counts until the last order is PROCESSED or FAILED; accepted→PROCESSED is the");
        Line("order's created_at (the Api's acceptance) to its processed_at, over the PROCESSED orders. Batch: orders per");
        Line("transaction, in the Processor and in the Notifier (orders ÷ distinct processed_at, notified_at).");
        Line();
        Line("| scenario | load | orders | accepted/s | settled/s | POST p50 | POST p99 | accepted→PROCESSED p50 | p99 | batch | stock |");
        Line("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
        foreach (var s in r.System)
        {
            Line(string.Create(inv,
                $"| {s.Scenario} | {s.Load} | {s.Orders} | {s.AcceptedPerSecond:0} | {s.SettledPerSecond:0} "
                + $"| {s.PostP50Ms:0.0} ms | {s.PostP99Ms:0.0} ms | {s.ToProcessedP50Ms:0} ms | {s.ToProcessedP99Ms:0} ms "
                + $"| {s.ProcessorBatch:0.0} / {s.NotifierBatch:0.0} | {(s.StockConserved ? "conserved" : "**NOT conserved**")} |"));
        }
        Line();

        Line("## Throughputs");
        Line();
        var bars = new List<(string Label, double Value)>();
        bars.AddRange(r.Database.Select(d => ($"raw DB, {d.Connections} conn.", d.OrdersPerSecond)));
        bars.Add(($"raw SendMessage, {r.Queue.Senders} senders", r.Queue.SingleSendsPerSecond));
        bars.Add(($"raw SendMessageBatch of {SuiteOptions.BatchSize}", r.Queue.BatchMessagesPerSecond));
        foreach (var s in r.System)
        {
            var load = s.Load.StartsWith("closed", StringComparison.Ordinal) ? "closed" : "open";
            bars.Add(($"{s.Scenario} {load}: accepted", s.AcceptedPerSecond));
            bars.Add(($"{s.Scenario} {load}: settled", s.SettledPerSecond));
        }
        Line("Per second, on a square-root scale (the raw queue is an order of magnitude above the rest):");
        Line();
        Line("```text");
        var top = Math.Sqrt(bars.Max(b => b.Value));
        var width = bars.Max(b => b.Label.Length);
        foreach (var (label, value) in bars)
        {
            var length = Math.Max(1, (int)Math.Round(Math.Sqrt(value) / top * BarWidth));
            Line(string.Create(inv, $"{label.PadRight(width)} {new string('█', length)} {value:0}"));
        }
        Line("```");
        Line();

        Line("## CPU and memory per process");
        Line();
        Line(string.Create(inv,
            $"Over the whole-system phase (all four runs, {r.SystemPhase.TotalSeconds:0} s, "
            + $"{r.SettledInSystemPhase} settled orders): CPU time from"));
        Line("/proc/PID/stat (utime + stime), and the largest resident set seen (sampled every 0.5 s). The AppHost runs inside the");
        Line("benchmark's own process here (Aspire.Hosting.Testing), with the load generator.");
        Line();
        Line("| process | count | CPU s | CPU ms per settled order | share | peak RSS |");
        Line("| --- | ---: | ---: | ---: | ---: | ---: |");
        var totalCpu = r.Processes.Sum(p => p.CpuMilliseconds);
        foreach (var p in r.Processes)
        {
            Line(string.Create(inv,
                $"| {p.Name} | {p.Processes} | {p.CpuMilliseconds / 1000:0.0} | {p.CpuMilliseconds / r.SettledInSystemPhase:0.00} "
                + $"| {(totalCpu > 0 ? p.CpuMilliseconds / totalCpu : 0):0%} | {p.PeakRssMb:0} MB |"));
        }
        Line(string.Create(inv,
            $"| **all** | {r.Processes.Sum(p => p.Processes)} | {totalCpu / 1000:0.0} | {r.CpuMillisecondsPerSettledOrder:0.00} "
            + $"| 100% | {r.Processes.Sum(p => p.PeakRssMb):0} MB |"));
        return md.ToString();
    }
}
