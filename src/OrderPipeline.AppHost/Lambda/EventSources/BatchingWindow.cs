namespace OrderPipeline.AppHost.Lambda.EventSources;

/// <summary>
/// When a poller stops gathering a batch, as Lambda's does: at the batch size, or once the batching window has passed
/// since the first messages came. Until the first messages come it waits as long as a long poll allows.
/// </summary>
internal static class BatchingWindow
{
    /// <summary>The longest long poll SQS allows (<c>WaitTimeSeconds</c>).</summary>
    public const int LongestWaitSeconds = 20;

    /// <summary>
    /// The <c>WaitTimeSeconds</c> of the next receive, or <see langword="null"/> when the batch is to be invoked now.
    /// </summary>
    /// <param name="gathered">The messages gathered so far.</param>
    /// <param name="batchSize">The event source's batch size.</param>
    /// <param name="window">The event source's batching window.</param>
    /// <param name="sinceFirst">The time since the first messages came (ignored while there are none).</param>
    public static int? NextWaitSeconds(int gathered, int batchSize, TimeSpan window, TimeSpan sinceFirst)
    {
        if (gathered == 0)
        {
            return LongestWaitSeconds;
        }
        if (gathered >= batchSize || sinceFirst >= window)
        {
            return null;
        }
        // Whole seconds only: a long poll ends as soon as a message comes, so rounding up delays nothing that arrives.
        return (int)Math.Clamp(Math.Ceiling((window - sinceFirst).TotalSeconds), 1, LongestWaitSeconds);
    }

    /// <summary>The <c>MaxNumberOfMessages</c> of the next receive: what the batch still takes, at most 10 (SQS's cap).</summary>
    public static int NextMaxMessages(int gathered, int batchSize) => Math.Clamp(batchSize - gathered, 1, 10);
}
