using System.Diagnostics;
using System.Globalization;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace OrderPipeline.AppHost.Lambda;

/// <summary>
/// Each invocation of one function as a span, as Lambda's own tracing records it: named after the function, with the
/// trigger, the request id and whether it was a cold start, in the trace of the request or the message that caused it
/// (linked to each message's trace when a batch carries several). The program's own spans become its children. Sent to
/// the same OTLP endpoint as the function's programs, under the function's name; nothing when it has none.
/// </summary>
internal sealed class LambdaInvocationTracing : IDisposable
{
    private const string TraceParentHeader = "traceparent";

    private readonly ActivitySource _source;
    private readonly TracerProvider? _provider;
    private readonly string _functionName;

    public LambdaInvocationTracing(string functionName, IReadOnlyDictionary<string, string> environment)
    {
        _functionName = functionName;
        // A source per function: each function's provider takes its own spans only.
        _source = new ActivitySource("OrderPipeline.AppHost.Lambda." + functionName);
        if (environment.GetValueOrDefault("OTEL_EXPORTER_OTLP_ENDPOINT") is not { Length: > 0 } endpoint)
        {
            return;
        }
        _provider = Sdk.CreateTracerProviderBuilder()
            .AddSource(_source.Name)
            .SetSampler(SamplerOf(environment))
            // The Lambda service's share of the function: an instance of its own beside the sandboxes.
            .SetResourceBuilder(ResourceBuilder.CreateEmpty().AddService(functionName, serviceInstanceId: "lambda"))
            .AddOtlpExporter(otlp =>
            {
                otlp.Endpoint = new Uri(endpoint);
                otlp.Protocol = environment.GetValueOrDefault("OTEL_EXPORTER_OTLP_PROTOCOL") == "grpc"
                    ? OtlpExportProtocol.Grpc
                    : OtlpExportProtocol.HttpProtobuf;
                if (environment.GetValueOrDefault("OTEL_EXPORTER_OTLP_HEADERS") is { Length: > 0 } headers)
                {
                    otlp.Headers = headers;
                }
                if (otlp.Protocol == OtlpExportProtocol.HttpProtobuf)
                {
                    otlp.Endpoint = new Uri(otlp.Endpoint, "v1/traces");
                }
            })
            .Build();
    }

    /// <summary>
    /// Starts the span of one invocation (null when it is not recorded) and, when it is, puts its context in the request's
    /// <c>traceparent</c> so that the program's spans become its children.
    /// </summary>
    public Activity? Start(LambdaRequest request, string requestId, bool coldStart, List<KeyValuePair<string, string>> headers)
    {
        var parents = request.TraceParents
            .Concat(request.Headers.Where(h => h.Key.Equals(TraceParentHeader, StringComparison.OrdinalIgnoreCase)).Select(h => h.Value))
            .Select(p => ActivityContext.TryParse(p, null, out var context) ? context : (ActivityContext?)null)
            .OfType<ActivityContext>()
            .DistinctBy(c => c.TraceId)
            .ToList();
        var parent = parents.Count == 1 ? parents[0] : default;
        var links = parents.Count > 1 ? parents.Select(p => new ActivityLink(p)).ToList() : null;
        var activity = _source.StartActivity(_functionName, request.Trigger == LambdaTrigger.Http ? ActivityKind.Server : ActivityKind.Consumer,
            parent, links: links);
        if (activity is null)
        {
            return null;
        }
        activity.SetTag("faas.trigger", request.Trigger);
        activity.SetTag("faas.invocation_id", requestId);
        activity.SetTag("faas.coldstart", coldStart);
        activity.SetTag("cloud.provider", "aws");
        activity.SetTag("cloud.platform", "aws_lambda");
        if (request.TraceParents.Count > 0)
        {
            activity.SetTag("messaging.batch.message_count", request.TraceParents.Count);
        }
        headers.RemoveAll(h => h.Key.Equals(TraceParentHeader, StringComparison.OrdinalIgnoreCase));
        headers.Add(new(TraceParentHeader, string.Create(CultureInfo.InvariantCulture,
            $"00-{activity.TraceId.ToHexString()}-{activity.SpanId.ToHexString()}-{(activity.Recorded ? "01" : "00")}")));
        return activity;
    }

    /// <summary>Ends the span with the invocation's outcome.</summary>
    public static void End(Activity? activity, LambdaInvocationOutcome outcome, int statusCode)
    {
        if (activity is null)
        {
            return;
        }
        if (statusCode > 0)
        {
            activity.SetTag("http.response.status_code", statusCode);
        }
        if (outcome != LambdaInvocationOutcome.Succeeded)
        {
            activity.SetStatus(ActivityStatusCode.Error, outcome.ToString());
        }
        activity.Dispose();
    }

    public void Dispose()
    {
        _provider?.Dispose();
        _source.Dispose();
    }

    /// <summary>The sampler the function's programs use (OTEL_TRACES_SAMPLER), so that an invocation is recorded when they record it.</summary>
    private static Sampler SamplerOf(IReadOnlyDictionary<string, string> environment) =>
        environment.GetValueOrDefault("OTEL_TRACES_SAMPLER") switch
        {
            "parentbased_traceidratio" or "traceidratio" when double.TryParse(environment.GetValueOrDefault("OTEL_TRACES_SAMPLER_ARG"),
                NumberStyles.Float, CultureInfo.InvariantCulture, out var ratio) => new ParentBasedSampler(new TraceIdRatioBasedSampler(ratio)),
            "always_off" or "parentbased_always_off" => new ParentBasedSampler(new AlwaysOffSampler()),
            _ => new ParentBasedSampler(new AlwaysOnSampler()),
        };
}
