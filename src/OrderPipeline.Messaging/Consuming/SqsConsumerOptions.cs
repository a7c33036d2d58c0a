namespace OrderPipeline.Messaging.Consuming;

/// <summary>The long-polling consumer's settings, bound to <c>Messaging:Consumer</c>.</summary>
public sealed record SqsConsumerOptions
{
    public const string SectionName = "Messaging:Consumer";

    /// <summary>Off where batches arrive another way, e.g. on POST /events from AWS Lambda.</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>
    /// Concurrent receive loops, each with its batch in flight: while one waits on the database or the queue, another's
    /// work uses the cores (docs/cpu-per-order.md).
    /// </summary>
    public int Pollers { get; init; } = 4;

    /// <summary>Messages per receive (SQS allows at most 10).</summary>
    public int MaxMessages { get; init; } = 10;

    public int WaitTimeSeconds { get; init; } = 20;

    /// <summary>Messages of one batch handled at the same time.</summary>
    public int MaxConcurrency { get; init; } = 10;

    /// <summary>
    /// A failed message becomes visible again after this many seconds times its receive count,
    /// instead of waiting out the queue's whole visibility timeout. 0 keeps the queue's timeout.
    /// </summary>
    public int RetryDelaySeconds { get; init; } = 2;

    /// <summary>
    /// The visibility timeout of the consumed queue (the AppHost creates its queues with 30 s). The consumer reads the
    /// queue's own at start and extends messages in flight every third of the smaller of the two; the Processor checks
    /// at start that an order transaction's retries fit in it.
    /// </summary>
    public int VisibilityTimeoutSeconds { get; init; } = 30;
}
