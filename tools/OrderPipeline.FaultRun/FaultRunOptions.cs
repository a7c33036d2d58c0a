using System.Globalization;

namespace OrderPipeline.FaultRun;

/// <summary>How big a fault run is. The defaults are the full run that docs/reliability.md reports.</summary>
/// <param name="Orders">Orders the clients place, spread evenly over <see cref="LoadSeconds"/>.</param>
/// <param name="LoadSeconds">How long the clients keep placing orders; the faults happen inside this window.</param>
/// <param name="OutageSeconds">How long each database outage (frozen, refusing writes) lasts.</param>
/// <param name="Processors">Processor instances running side by side (the laptop shape; a function scales itself).</param>
/// <param name="PoisonMessages">Messages that can never succeed, sent straight to the queues: the only ones a DLQ may hold.</param>
/// <param name="SettleTimeout">How long to wait, after the load, for everything accepted to settle.</param>
/// <param name="Lambda">The services in their AWS shape (docs/lambda-shape.md): functions behind the HTTP API and their event sources.</param>
public sealed record FaultRunOptions(
    int Orders = 3000,
    int LoadSeconds = 240,
    int OutageSeconds = 60,
    int Processors = 2,
    int PoisonMessages = 6,
    int Concurrency = 16,
    TimeSpan? SettleTimeout = null,
    string? ReportPath = null,
    bool Lambda = false)
{
    public TimeSpan SettleWithin => SettleTimeout ?? TimeSpan.FromMinutes(10);

    /// <summary>A few hundred orders and short outages: what the test command runs.</summary>
    public static FaultRunOptions Short => new(
        Orders: 300, LoadSeconds: 45, OutageSeconds: 8, PoisonMessages: 3, Concurrency: 8, SettleTimeout: TimeSpan.FromMinutes(4));

    /// <summary><c>[orders] [load-seconds] [outage-seconds] [--short] [--lambda] [--report PATH]</c>.</summary>
    public static FaultRunOptions Parse(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var options = args.Contains("--short") ? Short : new FaultRunOptions();
        if (args.Contains("--lambda"))
        {
            options = options with { Lambda = true };
        }
        var numbers = args
            .Where((a, i) => (i == 0 || args[i - 1] != "--report") && int.TryParse(a, NumberStyles.None, CultureInfo.InvariantCulture, out _))
            .Select(a => int.Parse(a, CultureInfo.InvariantCulture))
            .ToArray();
        if (numbers.Length > 0)
        {
            options = options with { Orders = numbers[0] };
        }
        if (numbers.Length > 1)
        {
            options = options with { LoadSeconds = numbers[1] };
        }
        if (numbers.Length > 2)
        {
            options = options with { OutageSeconds = numbers[2] };
        }
        var report = Array.IndexOf(args, "--report");
        return report >= 0 && report + 1 < args.Length ? options with { ReportPath = args[report + 1] } : options;
    }
}
