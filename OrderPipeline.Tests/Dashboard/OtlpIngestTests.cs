using Google.Protobuf;
using OrderPipeline.AppHost.Dashboard.Otlp;
using OrderPipeline.AppHost.Dashboard.Otlp.Proto;
using OrderPipeline.AppHost.Dashboard.Telemetry;
using ProtoResource = OrderPipeline.AppHost.Dashboard.Otlp.Proto.Resource;

namespace OrderPipeline.Tests.Dashboard;

/// <summary>OTLP decoding and the bounded stores, with payloads built from the classes generated from the repository's .proto files.</summary>
public sealed class OtlpIngestTests
{
    private static readonly byte[] TraceId = Convert.FromHexString("0af7651916cd43dd8448eb211c80319c");

    [Fact]
    public void A_trace_export_is_decoded_into_spans_with_hex_ids_service_status_and_attributes()
    {
        var changes = new ChangeFeed();
        var traces = new TraceStore(changes);
        var ingest = new OtlpIngest(traces, new LogStore(changes), new MetricStore(changes));
        var request = new ExportTraceServiceRequest
        {
            ResourceSpans =
            {
                Spans("api", NewSpan("b7ad6b7169203331", null, "POST /api/orders", Span.Types.SpanKind.Server, 0, 40, ("http.route", Text("/api/orders")), ("http.response.status_code", Int(202)))),
                Spans("processor", NewSpan("00f067aa0ba902b7", "b7ad6b7169203331", "order transaction", Span.Types.SpanKind.Internal, 10, 30, ("order.id", Text("order-42"))), NewSpan("1111111111111111", "00f067aa0ba902b7", "SELECT", Span.Types.SpanKind.Client, 12, 20, error: true)),
            },
        };

        var decoded = ingest.Traces(request.ToByteArray());

        Assert.Equal(3, decoded);
        var spans = traces.Get("0af7651916cd43dd8448eb211c80319c");
        Assert.NotNull(spans);
        var root = spans[0];
        Assert.Equal(("POST /api/orders", "api", "server", (string?)null), (root.Name, root.Service, root.Kind, root.ParentSpanId));
        Assert.Equal(40, root.DurationMs, precision: 6);
        Assert.Contains(new TelemetryAttribute("http.response.status_code", "202"), root.Attributes);
        Assert.Equal("b7ad6b7169203331", spans[1].ParentSpanId);
        Assert.True(spans[2].IsError);

        var summary = Assert.Single(traces.List("order-42", includeBackground: false, limit: 10));
        Assert.Equal(("POST /api/orders", 3, 1), (summary.Name, summary.SpanCount, summary.ErrorCount));
        Assert.Equal(["api", "processor"], summary.Services);
        Assert.Empty(traces.List("no-such-order", includeBackground: true, limit: 10));
    }

    [Fact]
    public void The_trace_store_keeps_only_the_newest_traces_and_hides_background_ones_unless_asked()
    {
        var changes = new ChangeFeed();
        var traces = new TraceStore(changes, maxTraces: 3, maxSpansPerTrace: 2);
        for (var i = 0; i < 5; i++)
        {
            var id = i.ToString("x32", System.Globalization.CultureInfo.InvariantCulture);
            traces.Add([new SpanData(id, "a", null, "GET", "client", "processor", "", i * 1000, i * 1000 + 5, false, null, [], [])]);
        }
        traces.Add([.. Enumerable.Range(0, 5).Select(n => new SpanData(4.ToString("x32", System.Globalization.CultureInfo.InvariantCulture), $"s{n}", null, "GET", "client", "processor", "", 1, 2, false, null, [], []))]);

        Assert.Equal(3, traces.Count);
        Assert.Null(traces.Get(0.ToString("x32", System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Equal(2, traces.Get(4.ToString("x32", System.Globalization.CultureInfo.InvariantCulture))!.Count);
        Assert.Empty(traces.List(null, includeBackground: false, limit: 10));
        Assert.Equal(3, traces.List(null, includeBackground: true, limit: 10).Count);
    }

    [Fact]
    public void A_log_export_is_decoded_with_level_service_message_attributes_and_trace()
    {
        var changes = new ChangeFeed();
        var logs = new LogStore(changes, capacity: 2);
        var ingest = new OtlpIngest(new TraceStore(changes), logs, new MetricStore(changes));
        var scope = new ScopeLogs { Scope = new InstrumentationScope { Name = "OrderPipeline.Processor.Orders.OrderCreatedHandler" } };
        foreach (var (n, severity) in new[] { (1, SeverityNumber.Info), (2, SeverityNumber.Warn), (3, SeverityNumber.Error) })
        {
            scope.LogRecords.Add(new LogRecord
            {
                TimeUnixNano = 1_700_000_000_000_000_000UL + (ulong)n,
                SeverityNumber = severity,
                Body = Text($"Order order-{n} settled as FAILED"),
                Attributes = { KeyValue("OrderId", Text($"order-{n}")) },
                TraceId = ByteString.CopyFrom(TraceId),
                SpanId = ByteString.CopyFrom(Convert.FromHexString("00f067aa0ba902b7")),
            });
        }
        var request = new ExportLogsServiceRequest { ResourceLogs = { new ResourceLogs { Resource = ServiceResource("processor"), ScopeLogs = { scope } } } };

        Assert.Equal(3, ingest.Logs(request.ToByteArray()));

        var kept = logs.Query(null, 0, null, null, 10);
        Assert.Equal(["Order order-3 settled as FAILED", "Order order-2 settled as FAILED"], kept.Select(l => l.Message));
        var error = kept[0];
        Assert.Equal(("processor", "Error", "0af7651916cd43dd8448eb211c80319c"), (error.Service, error.Level, error.TraceId));
        Assert.Contains(new TelemetryAttribute("OrderId", "order-3"), error.Attributes);
        Assert.Single(logs.Query("processor", minSeverity: 17, null, null, 10));
        Assert.Single(logs.Query(null, 0, null, "order-2", 10));
    }

    [Fact]
    public void Cumulative_histograms_give_percentiles_over_the_last_minute_and_counters_give_rates()
    {
        var changes = new ChangeFeed();
        var metrics = new MetricStore(changes);
        var ingest = new OtlpIngest(new TraceStore(changes), new LogStore(changes), metrics);
        var now = DateTimeOffset.UtcNow;
        double[] bounds = [0.1, 0.2, 0.5, 1];
        var request = new ExportMetricsServiceRequest();
        foreach (var (at, buckets, accepted) in new[] { (now.AddSeconds(-90), new ulong[] { 5, 0, 0, 0, 0 }, 5L), (now.AddSeconds(-1), new ulong[] { 5, 90, 10, 0, 0 }, 105L) })
        {
            var time = (ulong)(at.ToUnixTimeMilliseconds() * 1_000_000);
            var histogram = new HistogramDataPoint { TimeUnixNano = time, Count = (ulong)buckets.Sum(b => (long)b), Sum = 1, Min = 0.01, Max = 0.45, BucketCounts = { buckets }, ExplicitBounds = { bounds } };
            histogram.Attributes.Add(KeyValue("order.status", Text("PROCESSED")));
            var counter = new NumberDataPoint { TimeUnixNano = time, AsInt = accepted };
            request.ResourceMetrics.Add(new ResourceMetrics
            {
                Resource = ServiceResource("processor"),
                ScopeMetrics =
                {
                    new ScopeMetrics
                    {
                        Metrics =
                        {
                            new Metric { Name = "orderpipeline.order.time_to_processed", Unit = "s", Histogram = new Histogram { AggregationTemporality = AggregationTemporality.Cumulative, DataPoints = { histogram } } },
                            new Metric { Name = "orderpipeline.orders.accepted", Sum = new Sum { AggregationTemporality = AggregationTemporality.Cumulative, IsMonotonic = true, DataPoints = { counter } } },
                            new Metric { Name = "process.runtime.dotnet.gc.collections.count", Sum = new Sum { DataPoints = { counter } } },
                        },
                    },
                },
            });
        }

        Assert.Equal(4, ingest.Metrics(request.ToByteArray()));

        Assert.Empty(metrics.Series("process.runtime.dotnet.gc.collections.count"));
        var view = new PipelineMetrics(metrics).Build(now);
        var processed = view.Latencies[0].Now;
        // The window holds only the 100 recordings of the last minute: 90 in (0.1, 0.2], 10 in (0.2, 0.5] capped by max 0.45.
        Assert.Equal(100UL, processed.Count);
        Assert.InRange(processed.P50!.Value, 0.15, 0.16);
        Assert.InRange(processed.P95!.Value, 0.2, 0.45);
        Assert.InRange(processed.P99!.Value, processed.P95.Value, 0.45);
        Assert.Equal(105, view.Totals["accepted"]);
        Assert.Contains(view.OrderRates[0].Points, p => p[1] > 0);
    }

    private static ResourceSpans Spans(string service, params Span[] spans) =>
        new() { Resource = ServiceResource(service), ScopeSpans = { new ScopeSpans { Scope = new InstrumentationScope { Name = "test" }, Spans = { spans } } } };

    private static Span NewSpan(string spanId, string? parentId, string name, Span.Types.SpanKind kind, int startMs, int endMs, params (string Key, AnyValue Value)[] attributes) =>
        NewSpan(spanId, parentId, name, kind, startMs, endMs, error: false, attributes);

    private static Span NewSpan(string spanId, string? parentId, string name, Span.Types.SpanKind kind, int startMs, int endMs, bool error, params (string Key, AnyValue Value)[] attributes)
    {
        const ulong Epoch = 1_700_000_000_000_000_000UL;
        var span = new Span
        {
            TraceId = ByteString.CopyFrom(TraceId),
            SpanId = ByteString.CopyFrom(Convert.FromHexString(spanId)),
            Name = name,
            Kind = kind,
            StartTimeUnixNano = Epoch + ((ulong)startMs * 1_000_000),
            EndTimeUnixNano = Epoch + ((ulong)endMs * 1_000_000),
            Status = new Status { Code = error ? Status.Types.StatusCode.Error : Status.Types.StatusCode.Unset },
        };
        if (parentId is not null)
        {
            span.ParentSpanId = ByteString.CopyFrom(Convert.FromHexString(parentId));
        }
        span.Attributes.AddRange(attributes.Select(a => KeyValue(a.Key, a.Value)));
        return span;
    }

    private static ProtoResource ServiceResource(string service) => new() { Attributes = { KeyValue("service.name", Text(service)) } };

    private static KeyValue KeyValue(string key, AnyValue value) => new() { Key = key, Value = value };

    private static AnyValue Text(string value) => new() { StringValue = value };

    private static AnyValue Int(long value) => new() { IntValue = value };
}
