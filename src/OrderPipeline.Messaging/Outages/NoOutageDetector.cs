using OrderPipeline.Outages;

namespace OrderPipeline.Messaging.Outages;

/// <summary>For a service with no dependency worth pausing for: every failure belongs to its message.</summary>
internal sealed class NoOutageDetector : IOutageDetector
{
    public bool IsOutage(Exception exception) => false;

    public Task<bool> ProbeAsync(CancellationToken cancellationToken) => Task.FromResult(true);
}
