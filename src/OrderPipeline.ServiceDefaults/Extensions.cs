using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using OrderPipeline.Aws;
using OrderPipeline.Aws.Lambda;
using OrderPipeline.ServiceDefaults;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// What an Aspire ServiceDefaults project gives each service: OpenTelemetry, health checks,
/// service discovery and resilient HttpClients, configured the way any Aspire orchestrator expects.
/// </summary>
public static class Extensions
{
    public const string HealthEndpointPath = "/health";
    public const string AlivenessEndpointPath = "/alive";
    private const string LiveTag = "live";

    /// <summary>Sources and meters every service exports besides ASP.NET Core, HttpClient and the runtime.</summary>
    private const string PipelineSources = "OrderPipeline.*";

    // MySqlConnector's pool and command metrics. Its spans are not taken: one per statement and per pooled connection
    // taken, they were most of an order's spans, and the order transaction's own span times the work they repeat.
    private static readonly string[] PipelineMeters = [PipelineSources, "MySqlConnector"];

    // The SDK sets aside room for 2,000 tag combinations in every metric stream, on the large object heap: about 10 MB
    // for a service's 60 streams, whose real combinations number a few dozen at most (methods, routes, status codes).
    internal const int MetricCardinalityLimit = 100;

    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.ConfigureOpenTelemetry();
        builder.AddDefaultHealthChecks();
        builder.Services.AddServiceDiscovery();
        builder.Services.ConfigureHttpClientDefaults(http =>
        {
            http.AddStandardResilienceHandler();
            http.AddServiceDiscovery();
        });
        return builder;
    }

    public static TBuilder ConfigureOpenTelemetry<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });

        builder.Services.AddOpenTelemetry()
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddMeter(PipelineMeters)
                .AddView(_ => new MetricStreamConfiguration { CardinalityLimit = MetricCardinalityLimit }))
            .WithTracing(tracing => tracing
                .AddProcessor(new BackgroundCallFilter())
                .AddProcessor(new SqsTransportSpanFilter())
                .AddSource(builder.Environment.ApplicationName)
                .AddSource(PipelineSources)
                // Health probes every few seconds would bury the traces that matter.
                .AddAspNetCoreInstrumentation(aspNetCore => aspNetCore.Filter = context =>
                    !context.Request.Path.StartsWithSegments(HealthEndpointPath) &&
                    !context.Request.Path.StartsWithSegments(AlivenessEndpointPath))
                .AddHttpClientInstrumentation());

        // Exported only where an orchestrator or collector says where to (OTEL_EXPORTER_OTLP_ENDPOINT), as in Aspire.
        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            // Telemetry is best effort: Aspire's in-memory export retries held a stopping service past DCP's kill timeout,
            // before its own shutdown ran (docs/local-development.md, "What running it costs").
            builder.Configuration["OTEL_DOTNET_EXPERIMENTAL_OTLP_RETRY"] = "";
            // Signal by signal rather than UseOtlpExporter, whose log exporter cannot be told which records to skip.
            builder.Services.AddOpenTelemetry()
                .WithTracing(tracing => tracing.AddOtlpExporter())
                .WithMetrics(metrics => metrics.AddOtlpExporter())
                .WithLogging(logging => logging.AddProcessor(services => new TraceSampledLogExportProcessor(
                    new OtlpLogExporter(services.GetRequiredService<IOptionsMonitor<OtlpExporterOptions>>().CurrentValue),
                    new BatchExportLogRecordProcessorOptions())));
            // For the same reason one plain attempt per export, bounded by the exporter's timeout, instead of the standard
            // resilience handler every HttpClient gets above.
            builder.Services.ConfigureAll<OtlpExporterOptions>(otlp => otlp.HttpClientFactory = () => new HttpClient
            {
                Timeout = TimeSpan.FromMilliseconds(otlp.TimeoutMilliseconds),
            });
        }
        else if (builder.Configuration["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] is { Length: > 0 } traces
                 && builder.Configuration["OTEL_TRACES_EXPORTER"] != "none")
        {
            // In AWS: traces only, straight to X-Ray's OTLP endpoint (logs go by stdout to CloudWatch Logs, metrics as
            // embedded-metric lines), signed with the function role's credentials.
            builder.Services.AddOpenTelemetry().WithTracing(tracing => tracing.AddOtlpExporter(otlp =>
            {
                otlp.Endpoint = new Uri(traces);
                otlp.Protocol = OtlpExportProtocol.HttpProtobuf;
                otlp.HttpClientFactory = () => XRayClient(otlp.Endpoint, builder.Configuration["AWS_REGION"], otlp.TimeoutMilliseconds);
            }));
        }
        // In a Lambda sandbox: an extension holds each freeze until the invocation's telemetry is sent.
        builder.AddLambdaTelemetryFlush<TBuilder, OpenTelemetryFlush>();
        return builder;
    }

    /// <summary>A client for an OTLP endpoint; SigV4-signed (as X-Ray's OTLP endpoint requires) when it is an AWS one.</summary>
    private static HttpClient XRayClient(Uri endpoint, string? region, int timeoutMilliseconds)
    {
        HttpMessageHandler handler = new SocketsHttpHandler();
        if (endpoint.Host.EndsWith(".amazonaws.com", StringComparison.OrdinalIgnoreCase) && !string.IsNullOrEmpty(region))
        {
            handler = new SigV4SigningHandler(region, "xray", () => AwsCredentials.FromEnvironment("send traces to X-Ray")) { InnerHandler = handler };
        }
        return new HttpClient(handler) { Timeout = TimeSpan.FromMilliseconds(timeoutMilliseconds) };
    }

    public static TBuilder AddDefaultHealthChecks<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddHealthChecks().AddCheck("self", () => HealthCheckResult.Healthy(), [LiveTag]);
        return builder;
    }

    /// <summary>
    /// <c>/health</c>: every check (the database and queues included), for orchestrators deciding readiness.
    /// <c>/alive</c>: the process answers, for liveness and the Lambda Web Adapter's readiness probe.
    /// Both are mapped in every environment: they reveal no more than healthy or not.
    /// </summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        app.MapHealthChecks(HealthEndpointPath);
        app.MapHealthChecks(AlivenessEndpointPath, new HealthCheckOptions { Predicate = r => r.Tags.Contains(LiveTag) });
        return app;
    }
}
