using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OrderPipeline.AppHost.Dashboard.Auth;
using OrderPipeline.AppHost.Dashboard.Live;
using OrderPipeline.AppHost.Dashboard.Otlp;
using OrderPipeline.AppHost.Dashboard.Pages;
using OrderPipeline.AppHost.Dashboard.Pipeline;
using OrderPipeline.AppHost.Dashboard.Resources;
using OrderPipeline.AppHost.Dashboard.Telemetry;
using OrderPipeline.AppHost.Hosting;
using OrderPipeline.AppHost.Resources;

namespace OrderPipeline.AppHost.Dashboard;

/// <summary>
/// The AppHost's dashboard, as Aspire's: resources, console, traces, structured logs and metrics (received
/// over OTLP/HTTP from the services), plus this pipeline's queues and database. Served by Kestrel inside the
/// AppHost process, on loopback only, behind a per-run login token.
/// </summary>
public sealed class DashboardServer : IAsyncDisposable
{
    private readonly IReadOnlyList<Resource> _resources;
    private readonly QueueInspector _queues;
    private WebApplication? _web;

    private readonly string _otlpApiKey;

    /// <param name="otlpApiKey">What telemetry senders must present in the x-otlp-api-key header.</param>
    public DashboardServer(IReadOnlyList<Resource> resources, Uri url, string otlpApiKey)
    {
        _resources = resources;
        _otlpApiKey = otlpApiKey;
        Url = url;
        Traces = new TraceStore(Changes);
        Logs = new LogStore(Changes);
        Metrics = new MetricStore(Changes);
        Ingest = new OtlpIngest(Traces, Logs, Metrics);
        _queues = new QueueInspector([.. resources.OfType<SqsQueueResource>()]);
        foreach (var resource in resources)
        {
            resource.StateChanged += _ => Changes.Touch("resources");
        }
    }

    public Uri Url { get; }

    public DashboardToken Token { get; } = new();

    /// <summary>What the AppHost prints: opening it signs the browser in.</summary>
    public string LoginUrl => $"{Url.GetLeftPart(UriPartial.Authority)}/login?t={Token.Value}";

    public ChangeFeed Changes { get; } = new();

    public TraceStore Traces { get; }

    public LogStore Logs { get; }

    public MetricStore Metrics { get; }

    public OtlpIngest Ingest { get; }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            Args = [],
            ApplicationName = typeof(DashboardServer).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
            EnvironmentName = Environments.Production,
        });
        // The AppHost's console belongs to the resources; the dashboard's own request logs would only add noise.
        builder.Logging.ClearProviders();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(3));
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, Url.Port));

        var web = builder.Build();
        var auth = new DashboardAuth(Token);
        var local = new LocalOnly(Url.Port);
        web.Use(local.InvokeAsync);
        web.Use(SecurityHeaders.InvokeAsync);
        web.Use(auth.InvokeAsync);

        auth.MapLogin(web);
        web.MapOtlp(Ingest, _otlpApiKey);
        web.MapLive(Changes);
        web.MapResources(_resources);
        web.MapConsole(_resources);
        web.MapTelemetry(Traces, Logs, new PipelineMetrics(Metrics));
        web.MapPipeline(_queues, new OrderReader(_resources.OfType<MySqlDatabaseResource>().FirstOrDefault()));
        web.MapPages();

        await web.StartAsync(cancellationToken).ConfigureAwait(false);
        _web = web;
    }

    public async ValueTask DisposeAsync()
    {
        if (_web is not null)
        {
            await _web.StopAsync().ConfigureAwait(false);
            await _web.DisposeAsync().ConfigureAwait(false);
            _web = null;
        }
        _queues.Dispose();
    }
}
