namespace OrderPipeline.Messaging.Outages;

/// <summary>How the consumers pause during an outage, bound to <c>Messaging:Outage</c>.</summary>
public sealed record OutageOptions
{
    public const string SectionName = "Messaging:Outage";

    /// <summary>The first wait between two probes of the dependency; it doubles after each failed probe.</summary>
    public TimeSpan FirstProbeDelay { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>The longest wait between two probes.</summary>
    public TimeSpan MaxProbeDelay { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// How long a consumer keeps a message that failed because of an outage (extending its visibility) before giving it
    /// back to the queue. Bounded so that a message whose failure is only ever mistaken for an outage still reaches its
    /// DLQ in the end (one receive per hold), and so that a long outage does not keep messages from other instances.
    /// </summary>
    public TimeSpan MaxHold { get; init; } = TimeSpan.FromMinutes(5);
}
