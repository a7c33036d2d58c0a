using System.Diagnostics;
using OrderPipeline.ServiceDefaults;
using OrderPipeline.UnitTests.Support;

namespace OrderPipeline.UnitTests;

[Trait("Category", "Unit")]
public sealed class SqsTransportSpanFilterTests : IDisposable
{
    private readonly RecordedActivities _activities = new();

    private ActivitySource Source => _activities.Source;

    public void Dispose() => _activities.Dispose();

    [Fact]
    public void The_http_call_under_an_sqs_span_is_not_recorded_and_the_sqs_span_is()
    {
        using var publish = Source.StartActivity("order-created publish", ActivityKind.Producer, parentContext: default)!;
        publish.SetTag("messaging.system", "aws_sqs");
        using var http = Source.StartActivity("POST", ActivityKind.Client)!;

        new SqsTransportSpanFilter().OnStart(publish);
        new SqsTransportSpanFilter().OnStart(http);

        Assert.Same(publish, http.Parent);
        Assert.True(publish.Recorded);
        Assert.False(http.Recorded);
    }

    [Fact]
    public void An_http_call_under_anything_else_is_kept()
    {
        using var request = Source.StartActivity("GET /api/orders/{order_id}", ActivityKind.Server, parentContext: default)!;
        using var http = Source.StartActivity("GET", ActivityKind.Client)!;

        new SqsTransportSpanFilter().OnStart(http);

        Assert.True(http.Recorded);
    }
}
