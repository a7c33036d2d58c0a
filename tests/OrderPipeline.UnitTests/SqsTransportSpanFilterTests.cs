using System.Diagnostics;
using OrderPipeline.ServiceDefaults;

namespace OrderPipeline.UnitTests;

[Trait("Category", "Unit")]
public sealed class SqsTransportSpanFilterTests : IDisposable
{
    private readonly ActivitySource _source = new($"test-{Guid.NewGuid():N}");
    private readonly ActivityListener _listener;

    public SqsTransportSpanFilterTests()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source == _source,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    public void Dispose()
    {
        _listener.Dispose();
        _source.Dispose();
    }

    [Fact]
    public void The_http_call_under_an_sqs_span_is_not_recorded_and_the_sqs_span_is()
    {
        using var publish = _source.StartActivity("order-created publish", ActivityKind.Producer, parentContext: default)!;
        publish.SetTag("messaging.system", "aws_sqs");
        using var http = _source.StartActivity("POST", ActivityKind.Client)!;

        new SqsTransportSpanFilter().OnStart(publish);
        new SqsTransportSpanFilter().OnStart(http);

        Assert.Same(publish, http.Parent);
        Assert.True(publish.Recorded);
        Assert.False(http.Recorded);
    }

    [Fact]
    public void An_http_call_under_anything_else_is_kept()
    {
        using var request = _source.StartActivity("GET /api/orders/{order_id}", ActivityKind.Server, parentContext: default)!;
        using var http = _source.StartActivity("GET", ActivityKind.Client)!;

        new SqsTransportSpanFilter().OnStart(http);

        Assert.True(http.Recorded);
    }
}
