using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using OrderPipeline.ServiceDefaults;
using OrderPipeline.UnitTests.Support;

namespace OrderPipeline.UnitTests;

[Trait("Category", "Unit")]
public sealed class BackgroundCallFilterTests : IDisposable
{
    private readonly RecordedActivities _activities = new();

    private ActivitySource Source => _activities.Source;

    public void Dispose() => _activities.Dispose();

    [Fact]
    public void A_query_or_call_outside_any_operation_is_not_recorded()
    {
        using var activity = Source.StartActivity("SELECT", ActivityKind.Client, parentContext: default)!;

        new BackgroundCallFilter().OnStart(activity);

        Assert.False(activity.Recorded);
        Assert.False(activity.IsAllDataRequested);
    }

    [Theory]
    [InlineData(ActivityKind.Client, true)]
    [InlineData(ActivityKind.Server, false)]
    [InlineData(ActivityKind.Consumer, false)]
    [InlineData(ActivityKind.Internal, false)]
    public void Calls_made_for_a_request_or_a_message_and_operations_themselves_are_kept(ActivityKind kind, bool withParent)
    {
        var parent = withParent ? new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded) : default;
        using var activity = Source.StartActivity("work", kind, parent)!;

        new BackgroundCallFilter().OnStart(activity);

        Assert.True(activity.Recorded);
    }

    [Theory]
    [InlineData(ActivityKind.Client)]
    [InlineData(ActivityKind.Internal)]
    public void Work_under_an_operation_that_is_not_recorded_is_not_recorded_either(ActivityKind kind)
    {
        // A health probe's request, dropped by the ASP.NET Core instrumentation's filter; its checks run under it.
        using var probe = Source.StartActivity("GET /health", ActivityKind.Server, parentContext: default)!;
        probe.ActivityTraceFlags &= ~ActivityTraceFlags.Recorded;
        using var check = Source.StartActivity("Open", kind)!;

        new BackgroundCallFilter().OnStart(check);

        Assert.Same(probe, check.Parent);
        Assert.False(check.Recorded);
    }

    [Fact]
    public void Work_under_a_recorded_operation_is_kept()
    {
        using var request = Source.StartActivity("POST /api/orders", ActivityKind.Server, parentContext: default)!;
        using var query = Source.StartActivity("Open", ActivityKind.Client)!;

        new BackgroundCallFilter().OnStart(query);

        Assert.True(query.Recorded);
    }
}
