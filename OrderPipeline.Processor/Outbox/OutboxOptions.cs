namespace OrderPipeline.Processor.Outbox;

/// <summary>The outbox relay's settings, bound to <c>Outbox</c>.</summary>
public sealed record OutboxOptions
{
    public const string SectionName = "Outbox";

    /// <summary>How often the relay looks for events a crash or a queue outage left unpublished.</summary>
    public double RelayIntervalSeconds { get; init; } = 5;

    /// <summary>Rows younger than this are left to the handler that wrote them, which publishes right after commit.</summary>
    public double GraceSeconds { get; init; } = 5;

    public int BatchSize { get; init; } = 50;
}
