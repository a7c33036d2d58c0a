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
}
