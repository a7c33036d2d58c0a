namespace OrderPipeline.Api.Admission;

/// <summary>When the Api stops taking new orders because too many wait on the queue. Bound to <c>Admission</c>.</summary>
public sealed record AdmissionOptions
{
    public const string SectionName = "Admission";

    /// <summary>
    /// While order-created holds more orders than this waiting to be processed, a new order is answered 503
    /// <c>orders-queued</c>. Null or 0: every order is taken however many wait (the default; in AWS the queue holds any
    /// backlog at no cost and the stage throttle limits the rate).
    /// </summary>
    public int? MaxQueuedOrders { get; init; }

    /// <summary>
    /// At most this many orders are being placed at once; the next ones wait their turn, up to
    /// <see cref="MaxOrdersWaiting"/> of them, and beyond that a new order is answered 503 <c>orders-queued</c> at once.
    /// Null or 0: no limit (the default; in AWS each Lambda sandbox takes one request at a time and the stage throttle
    /// limits the rate). It bounds the requests the Api holds when a client sends faster than it answers.
    /// </summary>
    public int? MaxOrdersInProgress { get; init; }

    /// <summary>How many orders may wait for one in progress to finish before a new one is refused.</summary>
    public int MaxOrdersWaiting { get; init; } = 256;

    /// <summary>How old the queue's count may be before it is read again; it is read in the background, never in a request.</summary>
    public TimeSpan CountInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The Retry-After of the 503: about what the Processor takes to work a full queue down below the limit.</summary>
    public int RetryAfterSeconds { get; init; } = 1;
}
