using OrderPipeline.AppHost.Dashboard.Otlp.Proto;
using OrderPipeline.AppHost.Dashboard.Telemetry;

namespace OrderPipeline.AppHost.Dashboard.Otlp;

/// <summary>
/// Decodes OTLP export requests (protobuf, with the classes generated from Otlp/Protos) and hands the
/// flattened records to the stores. One pass over each request, no per-record allocation beyond the records.
/// </summary>
public sealed class OtlpIngest(TraceStore traces, LogStore logs, MetricStore metrics)
{
    public int Traces(ReadOnlySpan<byte> payload) => Traces(ExportTraceServiceRequest.Parser.ParseFrom(payload));

    public int Logs(ReadOnlySpan<byte> payload) => Logs(ExportLogsServiceRequest.Parser.ParseFrom(payload));

    public int Metrics(ReadOnlySpan<byte> payload) => Metrics(ExportMetricsServiceRequest.Parser.ParseFrom(payload));

    public int Traces(ExportTraceServiceRequest request)
    {
        var spans = new List<SpanData>();
        foreach (var resourceSpans in request.ResourceSpans)
        {
            var service = OtlpValues.ServiceName(resourceSpans.Resource);
            foreach (var scopeSpans in resourceSpans.ScopeSpans)
            {
                var scope = scopeSpans.Scope?.Name ?? "";
                foreach (var span in scopeSpans.Spans)
                {
                    if (OtlpValues.Id(span.TraceId) is not { } traceId || OtlpValues.Id(span.SpanId) is not { } spanId)
                    {
                        continue; // Malformed: nothing to group it under.
                    }
                    spans.Add(new SpanData(
                        traceId, spanId, OtlpValues.Id(span.ParentSpanId), span.Name, KindOf(span.Kind), service, scope,
                        (long)span.StartTimeUnixNano, (long)Math.Max(span.EndTimeUnixNano, span.StartTimeUnixNano),
                        span.Status?.Code == Status.Types.StatusCode.Error, NullIfEmpty(span.Status?.Message),
                        OtlpValues.Attributes(span.Attributes),
                        span.Events.Count == 0 ? [] : [.. span.Events.Select(e => new SpanEventData(e.Name, OtlpValues.Time(e.TimeUnixNano), OtlpValues.Attributes(e.Attributes)))]));
                }
            }
        }
        traces.Add(spans);
        return spans.Count;
    }

    public int Logs(ExportLogsServiceRequest request)
    {
        var entries = new List<LogEntry>();
        foreach (var resourceLogs in request.ResourceLogs)
        {
            var service = OtlpValues.ServiceName(resourceLogs.Resource);
            foreach (var scopeLogs in resourceLogs.ScopeLogs)
            {
                var category = scopeLogs.Scope?.Name ?? "";
                foreach (var record in scopeLogs.LogRecords)
                {
                    var time = record.TimeUnixNano != 0 ? record.TimeUnixNano : record.ObservedTimeUnixNano;
                    entries.Add(new LogEntry(
                        OtlpValues.Time(time), service, category, (int)record.SeverityNumber,
                        NullIfEmpty(record.SeverityText) ?? LogEntry.LevelOf((int)record.SeverityNumber),
                        OtlpValues.Text(record.Body), OtlpValues.Id(record.TraceId), OtlpValues.Id(record.SpanId),
                        OtlpValues.Attributes(record.Attributes)));
                }
            }
        }
        logs.Add(entries);
        return entries.Count;
    }

    public int Metrics(ExportMetricsServiceRequest request)
    {
        var points = 0;
        foreach (var resourceMetrics in request.ResourceMetrics)
        {
            var service = OtlpValues.ServiceName(resourceMetrics.Resource);
            var instance = OtlpValues.ServiceInstance(resourceMetrics.Resource) ?? service;
            foreach (var metric in resourceMetrics.ScopeMetrics.SelectMany(s => s.Metrics))
            {
                if (!metrics.Accepts(metric.Name))
                {
                    continue; // Runtime and HTTP metrics: the dashboard shows none, so none are kept.
                }
                switch (metric.DataCase)
                {
                    case Metric.DataOneofCase.Sum:
                        var delta = metric.Sum.AggregationTemporality == AggregationTemporality.Delta;
                        foreach (var point in metric.Sum.DataPoints)
                        {
                            metrics.AddSum(metric.Name, service, instance, OtlpValues.Attributes(point.Attributes), OtlpValues.Time(point.TimeUnixNano), ValueOf(point), delta);
                            points++;
                        }
                        break;
                    case Metric.DataOneofCase.Gauge:
                        foreach (var point in metric.Gauge.DataPoints)
                        {
                            metrics.AddSum(metric.Name, service, instance, OtlpValues.Attributes(point.Attributes), OtlpValues.Time(point.TimeUnixNano), ValueOf(point), isDelta: false);
                            points++;
                        }
                        break;
                    case Metric.DataOneofCase.Histogram:
                        var histogramDelta = metric.Histogram.AggregationTemporality == AggregationTemporality.Delta;
                        foreach (var point in metric.Histogram.DataPoints)
                        {
                            metrics.AddHistogram(metric.Name, service, instance, OtlpValues.Attributes(point.Attributes), new HistogramSample(
                                OtlpValues.Time(point.TimeUnixNano), point.Count, point.Sum,
                                point.HasMin ? point.Min : null, point.HasMax ? point.Max : null,
                                [.. point.BucketCounts], [.. point.ExplicitBounds]), histogramDelta);
                            points++;
                        }
                        break;
                    default:
                        break;
                }
            }
        }
        return points;
    }

    private static double ValueOf(NumberDataPoint point) =>
        point.ValueCase == NumberDataPoint.ValueOneofCase.AsInt ? point.AsInt : point.AsDouble;

    private static string KindOf(Span.Types.SpanKind kind) => kind switch
    {
        Span.Types.SpanKind.Server => "server",
        Span.Types.SpanKind.Client => "client",
        Span.Types.SpanKind.Producer => "producer",
        Span.Types.SpanKind.Consumer => "consumer",
        _ => "internal",
    };

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
