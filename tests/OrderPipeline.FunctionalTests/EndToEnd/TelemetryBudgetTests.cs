using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Aspire.Hosting.Testing;
using OpenTelemetry;
using OpenTelemetry.Trace;
using OrderPipeline.FunctionalTests.Support;
using OrderPipeline.Testing;
using OrderPipeline.Tests.Shared;

namespace OrderPipeline.FunctionalTests.EndToEnd;

/// <summary>
/// What one order costs in telemetry, as the services export it over OTLP to a collector of the test's own: the
/// dashboard (or any backend) ingests every span and log record, so an order's share is kept small.
/// </summary>
[Collection(TelemetryBudgetCollection.Name)]
public sealed class TelemetryBudgetTests
{
    private const int Orders = 20;
    private const int MaxSpansPerOrder = 8;
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(90);
    private static readonly string[] Services = ["api", "processor", "notifier"];

    [Fact]
    public async Task An_order_makes_at_most_eight_spans_in_one_trace_across_the_services_and_at_most_one_log_record_per_service()
    {
        var cancellation = TestContext.Current.CancellationToken;
        await using var collector = await OtlpCollector.StartAsync(cancellation);
        await using var system = await PipelineSystem.StartAsync(new PipelineSystemOptions
        {
            Environment = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["OTEL_EXPORTER_OTLP_ENDPOINT"] = collector.Endpoint.ToString().TrimEnd('/'),
                ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
                // Export is best effort, one attempt each (ServiceDefaults). The collector shares this test process with
                // the other collections, and on a loaded machine it can answer later than the default 10 s.
                ["OTEL_EXPORTER_OTLP_TIMEOUT"] = "60000",
            },
            // Sampled as the caller's traceparent says, as a load test's parentbased_traceidratio samples a continued trace.
            Args = ["--OTEL_TRACES_SAMPLER=parentbased_always_on"],
        }, cancellation);
        var database = new PipelineDatabase(system.ConnectionString);
        // The test's own client, which sends the traceparent as written: other collections' services run in this process,
        // and while one is up its OpenTelemetry HttpClient instrumentation replaces an outgoing request's traceparent
        // with a trace of its own (the Api then put every order in a trace the test did not know of). Such a neighbour is
        // kept up for the whole test, so that it runs the same beside them or alone.
        using var neighbour = Sdk.CreateTracerProviderBuilder().AddHttpClientInstrumentation().Build();
        using var api = new HttpClient(new SocketsHttpHandler { ActivityHeadersPropagator = null })
        {
            BaseAddress = system.App.GetEndpoint("api", "http"),
        };
        var product = await database.AddProductAsync(10 * (Orders + 1));

        // One order first, so that what happens once per process (connections, the first queue calls) is not counted.
        var warmUp = await PlaceAsync(api, product, ActivityTraceId.CreateRandom(), cancellation);
        await NotifiedAsync(database, [warmUp]);
        try
        {
            await Eventually.AssertAsync(
                () => Task.FromResult(collector.Logs.Any(l => l.Service == "notifier" && l.Body.Contains(warmUp, StringComparison.Ordinal))),
                Settle, "the warm-up order's notification to be exported");
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{ex.Message}\n{collector.Summary()}", ex);
        }
        // The warm-up's records that ended after its notification go with the exporters' next one-second flush: an
        // upper bound cannot be polled for, so they get a few flushes to arrive before they are cleared.
        await Task.Delay(TimeSpan.FromSeconds(3), cancellation);
        collector.Clear();

        var traces = Enumerable.Range(0, Orders).Select(_ => ActivityTraceId.CreateRandom()).ToList();
        var orderIds = new List<string>();
        foreach (var chunk in traces.Chunk(4))
        {
            orderIds.AddRange(await Task.WhenAll(chunk.Select(trace => PlaceAsync(api, product, trace, cancellation))));
        }
        await NotifiedAsync(database, orderIds);
        var traceIds = traces.Select(t => t.ToHexString()).ToHashSet(StringComparer.Ordinal);
        try
        {
            await Eventually.AssertAsync(() => Task.FromResult(
                    traceIds.All(t => collector.Spans.Any(s => s.TraceId == t && s.Service == "notifier"))
                    && collector.Logs.Count(l => l.Service == "notifier" && l.Severity >= OtlpLogRecord.Information) >= Orders),
                Settle, "every order's notifier span and notification to be exported");
        }
        catch (TimeoutException ex)
        {
            // Whether the spans never came, or came in other traces than the orders' (then so would their notifications).
            var withoutNotifier = traceIds.Count(t => !collector.Spans.Any(s => s.TraceId == t && s.Service == "notifier"));
            var notifications = collector.Logs
                .Where(l => l.Service == "notifier" && orderIds.Exists(o => l.Body.Contains(o, StringComparison.Ordinal))).ToList();
            throw new TimeoutException($"{ex.Message}\n{withoutNotifier} of {Orders} traces have no notifier span. "
                + $"{notifications.Count(l => traceIds.Contains(l.TraceId))} of {notifications.Count} notifications are in their orders' traces, e.g. "
                + $"{string.Join(", ", notifications.Take(3).Select(l => l.TraceId.Length == 0 ? "(none)" : l.TraceId))}.\n"
                + collector.Summary() + "\n" + Report([.. collector.Spans.Where(s => traceIds.Contains(s.TraceId))], collector.Logs, Orders), ex);
        }
        // Spans and records that ended before the notifier's went out by now or go with the exporters' next flush.
        await Task.Delay(TimeSpan.FromSeconds(6), cancellation);

        var spans = collector.Spans.Where(s => traceIds.Contains(s.TraceId)).ToList();
        var logs = collector.Logs.Where(l => l.Severity >= OtlpLogRecord.Information).ToList();
        var report = Report(spans, logs, traces.Count);
        TestContext.Current.TestOutputHelper?.WriteLine(report);

        foreach (var trace in traceIds)
        {
            var ofTrace = spans.Where(s => s.TraceId == trace).ToList();
            Assert.True(ofTrace.Count <= MaxSpansPerOrder, $"trace {trace} has {ofTrace.Count} spans, more than {MaxSpansPerOrder}.\n{report}");
            var missing = Services.Except(ofTrace.Select(s => s.Service)).ToList();
            Assert.True(missing.Count == 0, $"trace {trace} has no spans of {string.Join(", ", missing)}.\n{report}");
        }
        foreach (var service in Services)
        {
            var records = logs.Count(l => l.Service == service);
            Assert.True(records <= Orders, $"{service} wrote {records} log records at Information or above for {Orders} orders.\n{report}");
        }
        Assert.True(logs.Count(l => l.Service == "notifier") >= Orders, $"the notifier's notification lines are missing.\n{report}");
        // Each notification is in its own order's trace, also when the Notifier handled several orders together.
        for (var i = 0; i < orderIds.Count; i++)
        {
            var line = logs.First(l => l.Service == "notifier" && l.Body.Contains(orderIds[i], StringComparison.Ordinal));
            Assert.True(line.TraceId == traces[i].ToHexString(),
                $"order {orderIds[i]}'s notification is in trace {line.TraceId}, not its own {traces[i]}.\n{report}");
        }
        // The notification line is the one record of an order a successful run keeps: the Api's and the Processor's
        // lines about it would repeat what its spans, metrics and notification already say.
        var repeated = logs.Where(l => l.Service is "api" or "processor"
            && (traceIds.Contains(l.TraceId) || orderIds.Exists(o => l.Body.Contains(o, StringComparison.Ordinal)))).ToList();
        Assert.True(repeated.Count == 0, $"{repeated.Count} records of the Api or the Processor at Information or above are about an order.\n{report}");

        // An order whose trace the sampler dropped: its notification goes to the Notifier's console (the log in AWS) and
        // not to the collector. One sampled order after it shows when the exporter has sent everything written before.
        var unsampled = await PlaceAsync(api, product, ActivityTraceId.CreateRandom(), cancellation, sampled: false);
        await NotifiedAsync(database, [unsampled]);
        var marker = await PlaceAsync(api, product, ActivityTraceId.CreateRandom(), cancellation);
        await NotifiedAsync(database, [marker]);
        await Eventually.AssertAsync(
            () => Task.FromResult(collector.Logs.Any(l => l.Service == "notifier" && l.Body.Contains(marker, StringComparison.Ordinal))),
            Settle, "the sampled order's notification to be exported");
        Assert.DoesNotContain(collector.Logs, l => l.Body.Contains(unsampled, StringComparison.Ordinal));
        Assert.Contains(await system.ConsoleOfAsync("notifier"), line => line.Contains(unsampled, StringComparison.Ordinal));
    }

    /// <summary>Places an order within the given trace, as a client that traces its calls would (W3C traceparent), sampled or not.</summary>
    private static async Task<string> PlaceAsync(HttpClient api, string product, ActivityTraceId trace, CancellationToken cancellation,
        bool sampled = true)
    {
        var body = new JsonObject
        {
            ["customer_id"] = "customer-telemetry",
            ["items"] = new JsonArray(new JsonObject { ["product_id"] = product, ["quantity"] = 1 }),
        };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/orders") { Content = JsonContent.Create(body) };
        request.Headers.Add("traceparent", $"00-{trace.ToHexString()}-{ActivitySpanId.CreateRandom().ToHexString()}-{(sampled ? "01" : "00")}");
        using var response = await api.SendAsync(request, cancellation);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return await OrderClient.OrderIdOf(response);
    }

    private static Task NotifiedAsync(PipelineDatabase database, IReadOnlyList<string> orderIds) =>
        Eventually.AssertAsync(
            async () => await database.CountAsync("SELECT COUNT(*) FROM notifications WHERE order_id IN @orderIds", new { orderIds }) == orderIds.Count,
            Settle, $"{orderIds.Count} order(s) to be notified");

    /// <summary>The spans per order by service and name, and the log records at Information or above per service and scope.</summary>
    private static string Report(IReadOnlyList<OtlpSpan> spans, IReadOnlyList<OtlpLogRecord> logs, int orders)
    {
        var report = new StringBuilder();
        var perTrace = spans.GroupBy(s => s.TraceId).Select(g => g.Count()).Order();
        report.AppendLine(System.Globalization.CultureInfo.InvariantCulture,
            $"{spans.Count} spans in {orders} order traces ({(double)spans.Count / orders:F2} per order); per trace: {string.Join(", ", perTrace)}");
        foreach (var group in spans.GroupBy(s => (s.Service, s.Scope, s.Name)).OrderBy(g => g.Key.Service, StringComparer.Ordinal))
        {
            report.AppendLine(System.Globalization.CultureInfo.InvariantCulture,
                $"  span {group.Key.Service} [{group.Key.Scope}] {group.Key.Name}: {group.Count()} ({(double)group.Count() / orders:F2} per order)");
        }
        report.AppendLine(System.Globalization.CultureInfo.InvariantCulture, $"{logs.Count} log records at Information or above");
        foreach (var group in logs.GroupBy(l => (l.Service, l.Scope)).OrderBy(g => g.Key.Service, StringComparer.Ordinal))
        {
            report.AppendLine(System.Globalization.CultureInfo.InvariantCulture,
                $"  log {group.Key.Service} [{group.Key.Scope}]: {group.Count()} ({(double)group.Count() / orders:F2} per order), e.g. {group.First().Body}");
        }
        return report.ToString();
    }
}

/// <summary>A system of its own: its services export to the test's collector.</summary>
[CollectionDefinition(Name)]
public sealed class TelemetryBudgetCollection
{
    public const string Name = "whole system through the AppHost, exporting to a test collector";
}
