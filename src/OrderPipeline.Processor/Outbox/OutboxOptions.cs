namespace OrderPipeline.Processor.Outbox;

/// <summary>The outbox relay's settings, bound to <c>Outbox</c>.</summary>
public sealed record OutboxOptions
{
    public const string SectionName = "Outbox";

    /// <summary>
    /// The relay's own loop. Off in AWS Lambda, where nothing runs between invocations: there a schedule invokes the
    /// function every minute with <c>{"orderpipeline":"relay-outbox"}</c> (<see cref="RelayOutboxTask"/>).
    /// </summary>
    public bool BackgroundRelay { get; init; } = true;

    /// <summary>How often the relay looks for events a crash or a queue outage left unpublished.</summary>
    public double RelayIntervalSeconds { get; init; } = 5;

    /// <summary>Rows younger than this are left to the handler that wrote them, which publishes right after commit.</summary>
    public double GraceSeconds { get; init; } = 5;

    /// <summary>Rows claimed at a time. A full batch makes the relay claim again at once, so a backlog drains without waiting for the timer.</summary>
    public int BatchSize { get; init; } = 50;

    /// <summary>
    /// How long a claim holds. Far longer than sending a batch takes; if the relay dies with rows claimed, they are
    /// claimable again after this (another relay may then send a row twice, which the Notifier tolerates).
    /// </summary>
    public double LeaseSeconds { get; init; } = 60;

    /// <summary>The wait after a row's first failed send; it doubles with each further failure, up to <see cref="MaxBackoffSeconds"/>.</summary>
    public double InitialBackoffSeconds { get; init; } = 1;

    public double MaxBackoffSeconds { get; init; } = 300;
}
