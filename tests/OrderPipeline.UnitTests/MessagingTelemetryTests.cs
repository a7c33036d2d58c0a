using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using OrderPipeline.Messaging.Telemetry;

namespace OrderPipeline.UnitTests;

[Trait("Category", "Unit")]
public sealed class MessagingTelemetryTests
{
    private const string TraceId = "0af7651916cd43dd8448eb211c80319c";
    private const string SpanId = "b7ad6b7169203331";
    private const string TraceParent = $"00-{TraceId}-{SpanId}-01";

    [Fact]
    public void ReadTrace_reads_a_valid_traceparent_as_a_remote_context()
    {
        var trace = MessagingTelemetry.ReadTrace(new Dictionary<string, string> { ["traceparent"] = TraceParent });

        Assert.Equal(TraceId, trace.Context.TraceId.ToHexString());
        Assert.Equal(SpanId, trace.Context.SpanId.ToHexString());
        Assert.Equal(ActivityTraceFlags.Recorded, trace.Context.TraceFlags);
        Assert.True(trace.Context.IsRemote);
        Assert.Null(trace.Context.TraceState);
    }

    [Fact]
    public void ReadTrace_reads_the_tracestate_with_the_traceparent()
    {
        var trace = MessagingTelemetry.ReadTrace(new Dictionary<string, string>
        {
            ["traceparent"] = $"00-{TraceId}-{SpanId}-00",
            ["tracestate"] = "congo=t61rcWkgMzE",
            ["event_type"] = "OrderCreated",
        });

        Assert.Equal(TraceId, trace.Context.TraceId.ToHexString());
        Assert.Equal(ActivityTraceFlags.None, trace.Context.TraceFlags);
        Assert.Equal("congo=t61rcWkgMzE", trace.Context.TraceState);
    }

    [Fact]
    public void ReadTrace_is_default_without_a_traceparent()
    {
        Assert.Equal(default, MessagingTelemetry.ReadTrace(new Dictionary<string, string>()));
        Assert.Equal(default, MessagingTelemetry.ReadTrace(new Dictionary<string, string> { ["tracestate"] = "congo=t61rcWkgMzE" }));
    }

    [Theory]
    [InlineData("")]
    [InlineData("garbage")]
    [InlineData($"00-{TraceId}-{SpanId}")]
    [InlineData($"00-{TraceId}-{SpanId}-0")]
    [InlineData($"00-0af7651916cd43dd8448eb211c80319-{SpanId}-01")]
    [InlineData($"00-00000000000000000000000000000000-{SpanId}-01")]
    [InlineData($"00-{TraceId}-0000000000000000-01")]
    [InlineData($"00-{TraceId}-zzad6b7169203331-01")]
    [InlineData($"ff-{TraceId}-{SpanId}-01")]
    public void ReadTrace_is_default_for_a_malformed_traceparent(string traceParent)
    {
        var trace = MessagingTelemetry.ReadTrace(new Dictionary<string, string> { ["traceparent"] = traceParent });

        Assert.Equal(default, trace);
    }

    [Fact]
    public void StartProcess_continues_the_trace_of_the_message_as_a_consumer_span()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        using var telemetry = new MessagingTelemetry(services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>());
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => ReferenceEquals(source, telemetry.ActivitySource),
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listener);

        using var activity = telemetry.StartProcess(
            "order-created", MessagingTelemetry.ReadTrace(new Dictionary<string, string> { ["traceparent"] = TraceParent }), "m-1");

        Assert.NotNull(activity);
        Assert.Equal("order-created process", activity.DisplayName);
        Assert.Equal(ActivityKind.Consumer, activity.Kind);
        Assert.Equal(TraceId, activity.TraceId.ToHexString());
        Assert.Equal(SpanId, activity.ParentSpanId.ToHexString());
        Assert.Equal("aws_sqs", activity.GetTagItem("messaging.system"));
        Assert.Equal("order-created", activity.GetTagItem("messaging.destination.name"));
        Assert.Equal("process", activity.GetTagItem("messaging.operation.type"));
        Assert.Equal("m-1", activity.GetTagItem("messaging.message.id"));
    }
}
