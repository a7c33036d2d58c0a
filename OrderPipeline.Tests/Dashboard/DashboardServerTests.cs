using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using OrderPipeline.AppHost.Dashboard;
using OrderPipeline.AppHost.Dashboard.Telemetry;
using OrderPipeline.AppHost.Hosting;

namespace OrderPipeline.Tests.Dashboard;

/// <summary>
/// The dashboard server on its own (no resources): what the OpenTelemetry SDK's own OTLP exporter sends is
/// understood, and nothing but the login page is served without the token.
/// </summary>
public sealed class DashboardServerTests
{
    [Fact]
    public async Task The_OpenTelemetry_SDKs_own_OTLP_exporter_is_understood_and_only_the_token_opens_the_pages()
    {
        var url = new Uri($"http://127.0.0.1:{AppHostOptions.FreePort()}");
        const string apiKey = "test-otlp-key";
        await using var dashboard = new DashboardServer([], url, apiKey);
        await dashboard.StartAsync(TestContext.Current.CancellationToken);
        using var source = new ActivitySource("OrderPipeline.Tests.Dashboard");
        using var meter = new Meter("OrderPipeline.Tests.Dashboard");
        var resource = ResourceBuilder.CreateDefault().AddService("sdk-test");
        using (var tracing = Sdk.CreateTracerProviderBuilder().SetResourceBuilder(resource).AddSource(source.Name)
            .AddOtlpExporter(o => { o.Endpoint = new Uri(url, "/v1/traces"); o.Protocol = OtlpExportProtocol.HttpProtobuf; o.ExportProcessorType = ExportProcessorType.Simple; o.Headers = "x-otlp-api-key=" + apiKey; })
            .Build())
        using (var metrics = Sdk.CreateMeterProviderBuilder().SetResourceBuilder(resource).AddMeter(meter.Name)
            .AddOtlpExporter(o => { o.Endpoint = new Uri(url, "/v1/metrics"); o.Protocol = OtlpExportProtocol.HttpProtobuf; o.Headers = "x-otlp-api-key=" + apiKey; })
            .Build())
        {
            using (var parent = source.StartActivity("order-created process", ActivityKind.Consumer))
            {
                parent?.SetTag("order.id", "sdk-order-1");
                using var child = source.StartActivity("order transaction");
            }
            meter.CreateCounter<long>("orderpipeline.orders.accepted").Add(3);
            Assert.True(tracing.ForceFlush(10_000));
            Assert.True(metrics.ForceFlush(10_000));
        }

        var trace = Assert.Single(dashboard.Traces.List("sdk-order-1", includeBackground: true, limit: 10));
        Assert.Equal(("order-created process", 2), (trace.Name, trace.SpanCount));
        Assert.Equal(["sdk-test"], trace.Services);
        Assert.Equal(3, new PipelineMetrics(dashboard.Metrics).Build(DateTimeOffset.UtcNow).Totals["accepted"]);

        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = url };
        var ct = TestContext.Current.CancellationToken;
        // Telemetry without the run's key is refused, however local the sender.
        using (var keyless = await http.PostAsync("/v1/traces", new ByteArrayContent([]) { Headers = { ContentType = new("application/x-protobuf") } }, ct))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, keyless.StatusCode);
        }
        using (var page = await http.GetAsync("/traces", ct))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, page.StatusCode);
            Assert.Contains("Log in", await page.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
        }
        using (var api = await http.GetAsync("/api/traces", ct))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, api.StatusCode);
        }
        using (var wrong = await http.GetAsync("/login?t=" + new string('0', 32), ct))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
            Assert.False(wrong.Headers.Contains("Set-Cookie"));
        }
        using var login = await http.GetAsync(new Uri(dashboard.LoginUrl).PathAndQuery, ct);
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        var cookie = Assert.Single(login.Headers.GetValues("Set-Cookie"));
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
        using var signedIn = new HttpRequestMessage(HttpMethod.Get, "/api/traces?background=true");
        signedIn.Headers.Add("Cookie", cookie.Split(';')[0]);
        using var traces = await http.SendAsync(signedIn, ct);
        Assert.Equal(HttpStatusCode.OK, traces.StatusCode);
        Assert.Contains(trace.TraceId, await traces.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
        using var foreignHost = new HttpRequestMessage(HttpMethod.Get, "/login");
        foreignHost.Headers.Host = "attacker.example";
        using var refused = await http.SendAsync(foreignHost, ct);
        Assert.Equal(HttpStatusCode.MisdirectedRequest, refused.StatusCode);
    }

}
