namespace OrderPipeline.Benchmarks;

/// <summary>
/// AWS Lambda's list prices the cost figures use (arm64, us-east-1, as infra/README.md's "What it costs"). Compiled
/// into the unit tests as well (no Aspire here), which check the arithmetic below.
/// </summary>
public static class LambdaPrices
{
    /// <summary>Dollars per GB-second of duration (init included) on arm64.</summary>
    public const double PerGbSecond = 0.0000133334;

    /// <summary>Dollars per million requests (invocations; throttled ones are not billed).</summary>
    public const double PerMillionRequests = 0.20;

    /// <summary>The month infra/README.md prices in: 730 hours.</summary>
    public const double HoursPerMonth = 730;

    /// <summary>
    /// What Lambda adds to each invocation's duration by billing it rounded up to the next millisecond: half a
    /// millisecond on average, since only means are known here, not each invocation's duration.
    /// </summary>
    public const double RoundingUpMs = 0.5;

    /// <summary>Dollars for <paramref name="gbSeconds"/> of duration and <paramref name="requests"/> invocations.</summary>
    public static double Dollars(double gbSeconds, double requests) => gbSeconds * PerGbSecond + requests * PerMillionRequests / 1_000_000;

    /// <summary>GB-seconds of <paramref name="milliseconds"/> at <paramref name="memoryMb"/> (Lambda's GB is 1024 MB).</summary>
    public static double GbSeconds(double milliseconds, int memoryMb) => milliseconds / 1000 * memoryMb / 1024;
}

/// <summary>
/// One function's share of the orders a measured phase settled, and what that costs at its configured memory: every
/// invocation that ran is billed its duration and its extensions' time after the answer (rounded up to the millisecond
/// together) and a request, every cold start its init (Lambda bills the INIT phase of managed runtimes since August 2025).
/// </summary>
/// <param name="Function">The function's name.</param>
/// <param name="MemoryMb">Its configured memory (the template's <c>MemorySize</c>).</param>
/// <param name="Invocations">The invocations that ran in the phase (throttled ones are not billed).</param>
/// <param name="ColdStarts">The sandboxes started in the phase.</param>
/// <param name="MeanInitMs">The mean init of a cold start.</param>
/// <param name="MeanDurationMs">The mean duration of an invocation in the phase, to its answer.</param>
/// <param name="MeanExtensionsMs">The mean time its extensions worked after an answer (Lambda's PostRuntimeExtensionsDuration).</param>
/// <param name="Orders">The orders the phase settled: the denominator of every per-order figure.</param>
public sealed record FunctionCost(
    string Function, int MemoryMb, long Invocations, long ColdStarts, double MeanInitMs, double MeanDurationMs, double MeanExtensionsMs, long Orders)
{
    /// <summary>What an invocation is billed on average: its duration and its extensions' time, rounded up to the millisecond.</summary>
    public double BilledMs => MeanDurationMs + MeanExtensionsMs + LambdaPrices.RoundingUpMs;

    /// <summary>Orders per invocation: how many orders one invocation's duration and request are shared by.</summary>
    public double OrdersPerInvocation => Invocations == 0 ? double.NaN : (double)Orders / Invocations;

    /// <summary>What the phase's invocations and cold starts are billed, in GB-seconds.</summary>
    public double GbSeconds => LambdaPrices.GbSeconds(Invocations * BilledMs + ColdStarts * MeanInitMs, MemoryMb);

    /// <summary>GB-seconds per 1,000 orders settled.</summary>
    public double GbSecondsPerThousandOrders => GbSeconds / Orders * 1000;

    /// <summary>Dollars per million orders settled: duration and requests.</summary>
    public double DollarsPerMillionOrders => LambdaPrices.Dollars(GbSeconds, Invocations) / Orders * 1_000_000;
}

/// <summary>
/// A scheduled invocation's cost per month, whatever the load: the relay's schedule invokes its function at a fixed
/// rate (the template's once a minute) on a warm sandbox (a minute is well inside Lambda's idle reclaim).
/// </summary>
/// <param name="Function">The function the schedule invokes.</param>
/// <param name="MemoryMb">Its configured memory.</param>
/// <param name="Rate">The schedule's rate.</param>
/// <param name="MeanDurationMs">The mean duration of one scheduled invocation, its extensions' time after the answer included.</param>
public sealed record ScheduleCost(string Function, int MemoryMb, TimeSpan Rate, double MeanDurationMs)
{
    /// <summary>Invocations a month (43,800 at once a minute).</summary>
    public double InvocationsPerMonth => LambdaPrices.HoursPerMonth * 3600 / Rate.TotalSeconds;

    /// <summary>GB-seconds a month.</summary>
    public double GbSecondsPerMonth => LambdaPrices.GbSeconds(InvocationsPerMonth * (MeanDurationMs + LambdaPrices.RoundingUpMs), MemoryMb);

    /// <summary>Dollars a month: duration and requests.</summary>
    public double DollarsPerMonth => LambdaPrices.Dollars(GbSecondsPerMonth, InvocationsPerMonth);
}

/// <summary>
/// A phase's mean from the dashboard's running means, read before and after it. The dashboard shows a mean over
/// everything since the function started, in whole milliseconds; the phase's mean is the difference of the totals.
/// </summary>
public static class RunningMeans
{
    /// <summary>The mean over the <paramref name="countAfter"/> − <paramref name="countBefore"/> items between the two readings.</summary>
    public static double Between(double meanBefore, long countBefore, double meanAfter, long countAfter) =>
        countAfter > countBefore ? (meanAfter * countAfter - meanBefore * countBefore) / (countAfter - countBefore) : double.NaN;

    /// <summary>
    /// How far <see cref="Between"/> can be off because each reading is rounded to the millisecond (half of one each,
    /// weighted by its count): the phase's mean is exact to within this.
    /// </summary>
    public static double RoundingBound(long countBefore, long countAfter) =>
        countAfter > countBefore ? 0.5 * (countBefore + countAfter) / (countAfter - countBefore) : double.NaN;
}
