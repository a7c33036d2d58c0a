using System.Diagnostics;
using OpenTelemetry;

namespace OrderPipeline.ServiceDefaults;

/// <summary>
/// Drops MySqlConnector's "Open" span: taking a connection from the pool is one per query batch, says nothing the
/// query's own span does not, and was a quarter of an order's spans. A slow open still shows, in its query's parent.
/// </summary>
public sealed class ConnectionOpenFilter : BaseProcessor<Activity>
{
    internal const string MySqlConnectorSource = "MySqlConnector";

    /// <inheritdoc />
    public override void OnStart(Activity data)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.Source.Name == MySqlConnectorSource && data.OperationName == "Open")
        {
            data.ActivityTraceFlags &= ~ActivityTraceFlags.Recorded;
            data.IsAllDataRequested = false;
        }
    }
}
