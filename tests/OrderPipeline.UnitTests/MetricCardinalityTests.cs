using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace OrderPipeline.UnitTests;

/// <summary>The service defaults bound each metric stream's tag combinations, and with them the memory set aside for it.</summary>
[Trait("Category", "Unit")]
public sealed class MetricCardinalityTests
{
    [Fact]
    public void A_metric_stream_keeps_at_most_the_limit_of_tag_combinations_and_folds_the_rest_into_the_overflow_point()
    {
        var exporter = new PointCollector<(List<KeyValuePair<string, object?>> Tags, long Sum)>("combinations",
            point => (ToList(point.Tags), point.GetSumLong()));
        using var reader = new BaseExportingMetricReader(exporter);
        using var host = ServiceWithReader(reader);

        using var meter = new Meter("OrderPipeline.Tests.Cardinality");
        var counter = meter.CreateCounter<long>("combinations");
        var combinations = Extensions.MetricCardinalityLimit + 50;
        for (var i = 0; i < combinations; i++)
        {
            counter.Add(1, new KeyValuePair<string, object?>("value", i));
        }
        Assert.True(reader.Collect());

        var points = exporter.Points;
        // The limit's points, one of them the overflow point that sums everything past it (the SDK keeps one place for it).
        Assert.InRange(points.Count, Extensions.MetricCardinalityLimit - 1, Extensions.MetricCardinalityLimit + 1);
        Assert.Contains(points, p => p.Tags.Contains(new KeyValuePair<string, object?>("otel.metric.overflow", true)));
        Assert.Equal(combinations, points.Sum(p => p.Sum));
    }

    [Fact]
    public void A_histogram_keeps_the_bucket_boundaries_its_instrument_advises()
    {
        // ASP.NET Core's and HttpClient's durations are in seconds and advise their buckets; the SDK's defaults are for
        // milliseconds, and would put every request in the first bucket.
        var collector = new PointCollector<double[]>("advised", point =>
            [.. ToList(point.GetHistogramBuckets()).Select(b => b.ExplicitBound).Where(b => !double.IsPositiveInfinity(b))]);
        using var reader = new BaseExportingMetricReader(collector);
        using var host = ServiceWithReader(reader);

        using var meter = new Meter("OrderPipeline.Tests.Cardinality");
        double[] advised = [0.005, 0.05, 0.5, 5];
        meter.CreateHistogram("advised", unit: "s", description: null, tags: null,
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = advised }).Record(0.2);
        Assert.True(reader.Collect());

        Assert.Equal(advised, Assert.Single(collector.Points));
    }

    // The SDK's tag and bucket collections are struct enumerables without LINQ.
    private static List<KeyValuePair<string, object?>> ToList(ReadOnlyTagCollection tags)
    {
        var list = new List<KeyValuePair<string, object?>>();
        foreach (var tag in tags)
        {
            list.Add(tag);
        }
        return list;
    }

    private static List<HistogramBucket> ToList(HistogramBuckets buckets)
    {
        var list = new List<HistogramBucket>();
        foreach (var bucket in buckets)
        {
            list.Add(bucket);
        }
        return list;
    }

    /// <summary>A host with the service defaults and <paramref name="reader"/>, its meter provider built.</summary>
    private static IHost ServiceWithReader(MetricReader reader)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.AddServiceDefaults();
        builder.Services.ConfigureOpenTelemetryMeterProvider(metrics => metrics.AddReader(reader));
        var host = builder.Build();
        _ = host.Services.GetRequiredService<MeterProvider>();
        return host;
    }

    /// <summary>
    /// Keeps what <paramref name="read"/> takes from each point of one instrument (the other meters' instruments, the
    /// runtime's among them, are of other kinds).
    /// </summary>
    private sealed class PointCollector<T>(string name, Func<MetricPoint, T> read) : BaseExporter<Metric>
    {
        public List<T> Points { get; } = [];

        public override ExportResult Export(in Batch<Metric> batch)
        {
            foreach (var metric in batch)
            {
                if (metric.Name == name)
                {
                    foreach (ref readonly var point in metric.GetMetricPoints())
                    {
                        Points.Add(read(point));
                    }
                }
            }
            return ExportResult.Success;
        }
    }
}
