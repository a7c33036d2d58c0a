namespace OrderPipeline.Outages;

/// <summary>
/// Tells a failure of the service's own dependency (the database down, hung, read-only, out of connections, locked up)
/// from a failure of the message itself. An outage pauses every consumer of the process instead of spending each
/// message's receives: a valid message must never reach a DLQ because a dependency was away.
/// </summary>
public interface IOutageDetector
{
    /// <summary>True when <paramref name="exception"/> says the dependency is unavailable, not that the message is bad.</summary>
    bool IsOutage(Exception exception);

    /// <summary>True when the dependency takes work again (for a database: it accepts a write). Never throws.</summary>
    Task<bool> ProbeAsync(CancellationToken cancellationToken);
}
