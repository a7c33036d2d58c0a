namespace OrderPipeline.Aws.Lambda;

/// <summary>Sends what the program's telemetry exporters hold, before Lambda freezes the sandbox.</summary>
public interface ITelemetryFlush
{
    /// <summary>Exports the spans and logs held, and the metrics when they are due; gives up after <paramref name="timeout"/>.</summary>
    void Flush(TimeSpan timeout);
}
