namespace OrderPipeline.AppHost.Dashboard.Telemetry;

/// <summary>
/// Recent samples of the pipeline's own metrics (orderpipeline.*, messaging.*), one bounded series per
/// metric, service instance and attribute set. Other metrics are not kept: the dashboard charts none of them.
/// Samples are stored cumulative (delta exports are summed up), so rates and windows are differences.
/// </summary>
public sealed class MetricStore(ChangeFeed changes, int maxSamplesPerSeries = 400, int maxSeries = 1000)
{
    private static readonly string[] KeptPrefixes = ["orderpipeline.", "messaging."];

    private readonly Lock _gate = new();
    private readonly Dictionary<string, MetricSeries> _series = new(StringComparer.Ordinal);

    public bool Accepts(string metricName) => KeptPrefixes.Any(p => metricName.StartsWith(p, StringComparison.Ordinal));

    public void AddSum(string metric, string service, string instance, IReadOnlyList<TelemetryAttribute> attributes, DateTimeOffset time, double value, bool isDelta)
    {
        lock (_gate)
        {
            if (SeriesFor(metric, service, instance, attributes) is not { } series)
            {
                return;
            }
            if (isDelta && series.Sums.Count > 0)
            {
                value += series.Sums[^1].Value;
            }
            series.Sums.Add(new SumSample(time, value));
            Trim(series.Sums);
        }
        changes.Touch("metrics");
    }

    public void AddHistogram(string metric, string service, string instance, IReadOnlyList<TelemetryAttribute> attributes, HistogramSample sample, bool isDelta)
    {
        lock (_gate)
        {
            if (SeriesFor(metric, service, instance, attributes) is not { } series)
            {
                return;
            }
            if (isDelta && series.Histograms.Count > 0 && series.Histograms[^1] is { } last && last.BucketCounts.Count == sample.BucketCounts.Count)
            {
                sample = sample with
                {
                    Count = sample.Count + last.Count,
                    Sum = sample.Sum + last.Sum,
                    BucketCounts = [.. sample.BucketCounts.Zip(last.BucketCounts, (a, b) => a + b)],
                };
            }
            series.Histograms.Add(sample);
            Trim(series.Histograms);
        }
        changes.Touch("metrics");
    }

    /// <summary>Copies of every series of <paramref name="metric"/>, for the views to compute on outside the lock.</summary>
    public IReadOnlyList<MetricSeries> Series(string metric)
    {
        lock (_gate)
        {
            return [.. _series.Values.Where(s => s.Metric == metric).Select(s => s.Copy())];
        }
    }

    private MetricSeries? SeriesFor(string metric, string service, string instance, IReadOnlyList<TelemetryAttribute> attributes)
    {
        var key = metric + "|" + instance + "|" + string.Join(",", attributes.OrderBy(a => a.Key, StringComparer.Ordinal).Select(a => a.Key + "=" + a.Value));
        if (!_series.TryGetValue(key, out var series))
        {
            if (_series.Count >= maxSeries)
            {
                return null; // A cardinality explosion must not grow the AppHost: new series are dropped.
            }
            series = new MetricSeries(metric, service, attributes.ToDictionary(a => a.Key, a => a.Value, StringComparer.Ordinal));
            _series[key] = series;
        }
        return series;
    }

    private void Trim<T>(List<T> samples)
    {
        if (samples.Count > maxSamplesPerSeries)
        {
            samples.RemoveRange(0, samples.Count - maxSamplesPerSeries);
        }
    }
}

/// <summary>One metric from one service instance with one set of attributes.</summary>
public sealed class MetricSeries(string metric, string service, IReadOnlyDictionary<string, string> attributes)
{
    public string Metric { get; } = metric;

    public string Service { get; } = service;

    public IReadOnlyDictionary<string, string> Attributes { get; } = attributes;

    public List<SumSample> Sums { get; private init; } = [];

    public List<HistogramSample> Histograms { get; private init; } = [];

    internal MetricSeries Copy() => new(Metric, Service, Attributes) { Sums = [.. Sums], Histograms = [.. Histograms] };
}
