namespace OrderPipeline.Api.Publishing;

/// <summary>How the Api hands OrderCreated to the queue. Bound to the <c>Publishing</c> configuration section.</summary>
public sealed record PublishingOptions
{
    public const string SectionName = "Publishing";

    /// <summary>One SendMessage may take this long before it counts as failed (with an unknown outcome).</summary>
    public TimeSpan AttemptTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// The same message is sent again until this much time has passed since the first attempt; then the Api answers 503.
    /// Well inside the Api function's 15 s (and API Gateway's 30 s), with the database's share.
    /// </summary>
    public TimeSpan Budget { get; init; } = TimeSpan.FromSeconds(6);

    /// <summary>The first pause between attempts; it doubles after each.</summary>
    public TimeSpan FirstRetryDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>How concurrent requests' messages share SendMessageBatch calls (see <see cref="CoalescingSender"/>).</summary>
    public CoalescingOptions Coalescing { get; init; } = new();
}

/// <summary>Bound to <c>Publishing:Coalescing</c>.</summary>
public sealed record CoalescingOptions
{
    /// <summary>
    /// How long a message waits for others to share its call, counted from the first one to arrive. Only while another
    /// call is in flight or others are already waiting: a lone message is sent at once.
    /// </summary>
    public TimeSpan Window { get; init; } = TimeSpan.FromMilliseconds(2);

    /// <summary>A call goes as soon as this many are waiting; at most SQS's 10 entries per batch.</summary>
    public int MaxBatchSize { get; init; } = 10;

    /// <summary>
    /// Calls in flight at once. While all are busy, arriving messages wait and fill the next call; more would spend
    /// the cores on calls instead of filling them.
    /// </summary>
    public int MaxConcurrentCalls { get; init; } = 4;
}
