using System.Globalization;

namespace OrderPipeline.Benchmarks;

/// <summary>What the suite measures and where it writes the report.</summary>
/// <param name="Orders">Orders per burst (closed loop, spread and hot) and per raw database level.</param>
/// <param name="Clients">Concurrent clients of the closed loops.</param>
/// <param name="QueueMessages">Messages per raw queue measurement.</param>
/// <param name="ReportPath">Where the Markdown report goes; null: printed only.</param>
/// <param name="WarmUp">
/// Orders sent before the whole-system runs and not counted. The services start their code unoptimized and recompile
/// what runs hot; on two busy cores that recompilation is starved, and the first 10,000-20,000 orders cost two to
/// three times the CPU of the steady state (docs/cpu-per-order.md). The default leaves margin above that.
/// </param>
/// <param name="Lambda">
/// The Lambda shape's cost instead (<see cref="LambdaCostBenchmark"/>): its own section of the report, the rest kept.
/// </param>
/// <param name="Small">A quick check of the measurement, not a measurement.</param>
/// <param name="Duration">Seconds of load in each sustained loop (closed and open), the drain not included.</param>
/// <param name="Dashboard">The Aspire dashboard on, receiving the services' telemetry, as the README runs the system.</param>
/// <param name="TraceSampleRatio">
/// The share of orders whose trace is kept (<c>parentbased_traceidratio</c>): the README's setting for a load test by
/// default; 1 keeps every trace. Below 1, with the dashboard, a second system then runs the sustained closed loop with
/// every trace kept, as a developer's run has it, to show what that costs.
/// </param>
public sealed record SuiteOptions(
    int Orders = 2000, int Clients = 16, int QueueMessages = 4000, string? ReportPath = null, int WarmUp = 36_000, bool Lambda = false,
    bool Small = false, int Duration = 60, bool Dashboard = true, double TraceSampleRatio = SuiteOptions.LoadTestSampleRatio)
{
    public static readonly int[] DatabaseConnections = [1, 4, 16];
    public const int QueueSenders = 8;
    public const int BatchSize = 10;

    /// <summary>
    /// The sustained open loop's arrival rate as a fraction of the sustained closed loop's settled rate: the most the
    /// system settles on these cores, less a margin for what the shared cores and collections take now and then, so
    /// the latency measured is the pipeline's and not a queue growing for the whole run.
    /// </summary>
    public const double OpenLoopFraction = 0.8;

    /// <summary>The README's trace sampling for a load test.</summary>
    public const double LoadTestSampleRatio = 0.01;

    /// <summary>The AppHost's arguments for <see cref="TraceSampleRatio"/>: none when every trace is kept.</summary>
    public IReadOnlyList<string> SamplingArgs => TraceSampleRatio >= 1 ? [] :
        ["--OTEL_TRACES_SAMPLER=parentbased_traceidratio", string.Create(CultureInfo.InvariantCulture, $"--OTEL_TRACES_SAMPLER_ARG={TraceSampleRatio}")];

    /// <summary>
    /// Reads <c>--orders N --clients N --duration SECONDS --queue-messages N --warm-up N --sample RATIO --report PATH --no-dashboard</c>;
    /// <c>--small</c> is a quick check (bursts of 50 orders, sustained loops of 5 s); <c>--lambda</c> measures the Lambda
    /// shape's cost, by default 3,500 orders after a warm-up of 2,000 (the HTTP API's stage lets 50 POSTs a second
    /// through, after a burst of 100: over a minute of load).
    /// </summary>
    public static SuiteOptions Parse(string[] args)
    {
        string? Value(string name) => Array.IndexOf(args, name) is var at and >= 0 && at + 1 < args.Length ? args[at + 1] : null;
        int Number(string name, int fallback) => Value(name) is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
        var small = args.Contains("--small");
        var lambda = args.Contains("--lambda");
        var orders = Number("--orders", small ? 50 : lambda ? 3500 : 2000);
        return new SuiteOptions(orders, Number("--clients", small ? 4 : 16), Number("--queue-messages", small ? 200 : 2 * orders), Value("--report"),
            Number("--warm-up", small ? 100 : lambda ? 2000 : 36_000), lambda, small, Number("--duration", small ? 5 : 60), !args.Contains("--no-dashboard"),
            Value("--sample") is { } ratio ? double.Parse(ratio, CultureInfo.InvariantCulture) : LoadTestSampleRatio);
    }
}
