namespace OrderPipeline.AppHost.Dashboard.Telemetry;

/// <summary>A line of a chart: [unix milliseconds, value] points.</summary>
public sealed record ChartLine(string Name, IReadOnlyList<double[]> Points);

public sealed record Percentiles(double? P50, double? P95, double? P99, ulong Count);

/// <summary>A latency histogram over time: p50/p95/p99 lines, and the values over the last minute.</summary>
public sealed record LatencyView(string Name, IReadOnlyList<ChartLine> Lines, Percentiles Now);

public sealed record MetricsView(
    IReadOnlyList<ChartLine> OrderRates,
    IReadOnlyDictionary<string, double> Totals,
    IReadOnlyList<LatencyView> Latencies,
    IReadOnlyList<LatencyView> Handlers);

/// <summary>
/// What the Metrics page shows, computed from the stored samples on request: orders per second (accepted,
/// processed, failed), end-to-end latency percentiles and handler durations over a sliding one-minute window.
/// </summary>
public sealed class PipelineMetrics(MetricStore store)
{
    private static readonly TimeSpan Step = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan Span = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan PercentileWindow = TimeSpan.FromMinutes(1);

    public MetricsView Build(DateTimeOffset now)
    {
        var accepted = store.Series("orderpipeline.orders.accepted");
        var settled = store.Series("orderpipeline.orders.settled");
        var processed = settled.Where(s => s.Attributes.GetValueOrDefault("order.status") == "PROCESSED").ToList();
        var failed = settled.Where(s => s.Attributes.GetValueOrDefault("order.status") == "FAILED").ToList();

        var rates = new List<ChartLine>
        {
            new("accepted", Rate(accepted, now)),
            new("processed", Rate(processed, now)),
            new("failed", Rate(failed, now)),
        };
        var totals = new Dictionary<string, double>
        {
            ["accepted"] = Total(accepted),
            ["processed"] = Total(processed),
            ["failed"] = Total(failed),
        };
        var latencies = new List<LatencyView>
        {
            Latency("accepted → processed", store.Series("orderpipeline.order.time_to_processed"), now),
            Latency("accepted → notified", store.Series("orderpipeline.order.time_to_notified"), now),
        };
        var handlers = store.Series("messaging.process.duration")
            .GroupBy(s => s.Attributes.GetValueOrDefault("messaging.destination.name") ?? "?")
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => Latency(g.Key + " handler", [.. g], now))
            .ToList();
        return new MetricsView(rates, totals, latencies, handlers);
    }

    /// <summary>Per-second increase of the summed counters, one point per step.</summary>
    internal static IReadOnlyList<double[]> Rate(IReadOnlyList<MetricSeries> series, DateTimeOffset now)
    {
        var points = new List<double[]>();
        for (var t = now - Span; t <= now; t += Step)
        {
            var total = 0.0;
            foreach (var s in series)
            {
                total += Math.Max(0, ValueAt(s.Sums, t) - ValueAt(s.Sums, t - Step));
            }
            points.Add([t.ToUnixTimeMilliseconds(), total / Step.TotalSeconds]);
        }
        return points;
    }

    internal static LatencyView Latency(string name, IReadOnlyList<MetricSeries> series, DateTimeOffset now)
    {
        var p50 = new List<double[]>();
        var p95 = new List<double[]>();
        var p99 = new List<double[]>();
        for (var t = now - Span; t <= now; t += Step)
        {
            var window = Window(series, t);
            if (window.Count == 0)
            {
                continue;
            }
            var ms = t.ToUnixTimeMilliseconds();
            p50.Add([ms, window.P50 ?? 0]);
            p95.Add([ms, window.P95 ?? 0]);
            p99.Add([ms, window.P99 ?? 0]);
        }
        return new LatencyView(name, [new("p50", p50), new("p95", p95), new("p99", p99)], Window(series, now));
    }

    /// <summary>Percentiles of what was recorded in the minute before <paramref name="end"/>, summed over series.</summary>
    internal static Percentiles Window(IReadOnlyList<MetricSeries> series, DateTimeOffset end)
    {
        ulong[]? buckets = null;
        IReadOnlyList<double>? bounds = null;
        double? min = null, max = null;
        foreach (var s in series)
        {
            var last = s.Histograms.LastOrDefault(h => h.Time <= end);
            if (last is null)
            {
                continue;
            }
            var first = s.Histograms.LastOrDefault(h => h.Time <= end - PercentileWindow);
            if (bounds is null)
            {
                bounds = last.ExplicitBounds;
                buckets = new ulong[last.BucketCounts.Count];
            }
            if (last.BucketCounts.Count != buckets!.Length || !bounds.SequenceEqual(last.ExplicitBounds))
            {
                continue; // Different bucket layouts cannot be added up.
            }
            for (var i = 0; i < buckets.Length; i++)
            {
                var before = first is not null && first.BucketCounts.Count == buckets.Length && first.BucketCounts[i] <= last.BucketCounts[i] ? first.BucketCounts[i] : 0;
                buckets[i] += last.BucketCounts[i] - before;
            }
            min = Min(min, last.Min);
            max = Max(max, last.Max);
        }
        if (buckets is null || bounds is null)
        {
            return new Percentiles(null, null, null, 0);
        }
        var count = (ulong)buckets.Sum(b => (decimal)b);
        return new Percentiles(Quantile(buckets, bounds, 0.50, min, max), Quantile(buckets, bounds, 0.95, min, max), Quantile(buckets, bounds, 0.99, min, max), count);
    }

    /// <summary>
    /// The q-quantile of a bucketed distribution, interpolating linearly inside the bucket it falls in. The
    /// recorded min and max narrow the first and last buckets (and any bucket wider than the data).
    /// </summary>
    internal static double? Quantile(IReadOnlyList<ulong> buckets, IReadOnlyList<double> bounds, double q, double? min, double? max)
    {
        var total = buckets.Sum(b => (double)b);
        if (total == 0)
        {
            return null;
        }
        var rank = q * total;
        var seen = 0.0;
        for (var i = 0; i < buckets.Count; i++)
        {
            var count = (double)buckets[i];
            if (count == 0 || seen + count < rank)
            {
                seen += count;
                continue;
            }
            var lower = i == 0 ? Math.Min(0, min ?? 0) : bounds[i - 1];
            var upper = i < bounds.Count ? bounds[i] : max ?? lower;
            if (min is { } lo && lo > lower && lo <= upper)
            {
                lower = lo;
            }
            if (max is { } hi && hi < upper && hi >= lower)
            {
                upper = hi;
            }
            return lower + ((upper - lower) * ((rank - seen) / count));
        }
        return max;
    }

    private static double ValueAt(List<SumSample> samples, DateTimeOffset time)
    {
        var value = 0.0;
        foreach (var sample in samples)
        {
            if (sample.Time > time)
            {
                break;
            }
            value = sample.Value;
        }
        return value;
    }

    private static double Total(IReadOnlyList<MetricSeries> series) => series.Sum(s => s.Sums.Count > 0 ? s.Sums[^1].Value : 0);

    private static double? Min(double? a, double? b) => a is null ? b : b is null ? a : Math.Min(a.Value, b.Value);

    private static double? Max(double? a, double? b) => a is null ? b : b is null ? a : Math.Max(a.Value, b.Value);
}
