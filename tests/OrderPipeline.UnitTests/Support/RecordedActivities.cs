using System.Diagnostics;

namespace OrderPipeline.UnitTests.Support;

/// <summary>An activity source of the test's own, whose every activity is recorded, as an OpenTelemetry SDK that samples everything would.</summary>
public sealed class RecordedActivities : IDisposable
{
    private readonly ActivityListener _listener;

    public RecordedActivities()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source == Source,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    public ActivitySource Source { get; } = new($"test-{Guid.NewGuid():N}");

    public void Dispose()
    {
        _listener.Dispose();
        Source.Dispose();
    }
}
