namespace OrderPipeline.AppHost.Dashboard.Telemetry;

/// <summary>
/// What changed, by topic, as version counters: writers only increment a number (cheap on the ingestion path);
/// the live stream compares versions about once a second and tells pages which data to fetch again.
/// </summary>
public sealed class ChangeFeed
{
    public static readonly string[] Topics = ["resources", "traces", "logs", "metrics"];

    private readonly long[] _versions = new long[Topics.Length];

    public void Touch(string topic) => Interlocked.Increment(ref _versions[Array.IndexOf(Topics, topic)]);

    public long[] Snapshot()
    {
        var copy = new long[_versions.Length];
        for (var i = 0; i < copy.Length; i++)
        {
            copy[i] = Interlocked.Read(ref _versions[i]);
        }
        return copy;
    }
}
