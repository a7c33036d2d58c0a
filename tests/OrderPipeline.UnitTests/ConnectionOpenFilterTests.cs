using System.Diagnostics;
using OrderPipeline.ServiceDefaults;

namespace OrderPipeline.UnitTests;

[Trait("Category", "Unit")]
public sealed class ConnectionOpenFilterTests : IDisposable
{
    // MySqlConnector's own source name: the filter recognises its spans by it.
    private readonly ActivitySource _mySqlConnector = new("MySqlConnector");
    private readonly ActivitySource _other = new($"test-{Guid.NewGuid():N}");
    private readonly ActivityListener _listener;

    public ConnectionOpenFilterTests()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source == _mySqlConnector || source == _other,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    public void Dispose()
    {
        _listener.Dispose();
        _mySqlConnector.Dispose();
        _other.Dispose();
    }

    [Fact]
    public void Taking_a_connection_is_not_recorded_and_its_query_is()
    {
        using var request = _other.StartActivity("POST /api/orders", ActivityKind.Server, parentContext: default)!;
        var open = _mySqlConnector.StartActivity("Open", ActivityKind.Client)!;
        new ConnectionOpenFilter().OnStart(open);
        open.Dispose();
        using var query = _mySqlConnector.StartActivity("Execute", ActivityKind.Client)!;
        new ConnectionOpenFilter().OnStart(query);

        Assert.False(open.Recorded);
        Assert.True(query.Recorded);
        Assert.Same(request, query.Parent);
    }

    [Fact]
    public void Another_source_s_open_is_kept()
    {
        using var open = _other.StartActivity("Open", ActivityKind.Client, parentContext: default)!;

        new ConnectionOpenFilter().OnStart(open);

        Assert.True(open.Recorded);
    }
}
