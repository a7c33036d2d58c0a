namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// An SQS event source's configuration, as its <c>AWS::Lambda::EventSourceMapping</c> gives it. Values AWS refuses are
/// refused here too, when the options are built.
/// </summary>
public sealed record SqsEventSourceOptions
{
    /// <summary>The most concurrent batches AWS lets an SQS event source run at once.</summary>
    public const int MaximumConcurrencyLimit = 1000;

    /// <summary>
    /// Gets the most messages in one invocation's event (<c>BatchSize</c>), from 1 to 10; Lambda's default is 10.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is below 1 or above 10.</exception>
    public int BatchSize
    {
        get;
        init => field = value is >= 1 and <= 10
            ? value
            : throw new ArgumentOutOfRangeException(nameof(BatchSize), value, "An SQS event source's batch size is from 1 to 10.");
    } = 10;

    /// <summary>
    /// Gets how long messages are gathered, after the first, before the function is invoked with fewer than
    /// <see cref="BatchSize"/> (<c>MaximumBatchingWindowInSeconds</c>), up to 5 minutes. Zero (the default) invokes the
    /// function with what the first receive brought.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative or above 5 minutes.</exception>
    public TimeSpan MaximumBatchingWindow
    {
        get;
        init => field = value >= TimeSpan.Zero && value <= TimeSpan.FromMinutes(5)
            ? value
            : throw new ArgumentOutOfRangeException(nameof(MaximumBatchingWindow), value, "A batching window is from 0 to 5 minutes.");
    }

    /// <summary>
    /// Gets whether the function reports the messages it failed (<c>FunctionResponseTypes: [ReportBatchItemFailures]</c>):
    /// its answer <c>{"batchItemFailures":[{"itemIdentifier":"&lt;messageId&gt;"}]}</c> names the messages to keep, and
    /// the others are deleted. Without it a successful invocation deletes the whole batch.
    /// </summary>
    public bool ReportBatchItemFailures { get; init; }

    /// <summary>
    /// Gets the most batches invoked at once (<c>ScalingConfig.MaximumConcurrency</c>), from 2 to 1000, or
    /// <see langword="null"/> for no cap of the event source's own (locally, <see cref="LocalDefaultConcurrency"/>).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is below 2 or above <see cref="MaximumConcurrencyLimit"/>.</exception>
    public int? MaximumConcurrency
    {
        get;
        init => field = value is null or (>= 2 and <= MaximumConcurrencyLimit)
            ? value
            : throw new ArgumentOutOfRangeException(nameof(MaximumConcurrency), value,
                $"An SQS event source's maximum concurrency is from 2 to {MaximumConcurrencyLimit}, or none.");
    }

    /// <summary>
    /// The batches invoked at once locally when <see cref="MaximumConcurrency"/> is <see langword="null"/>: AWS starts an
    /// uncapped event source with 5 pollers too, and one machine has no use for more.
    /// </summary>
    public const int LocalDefaultConcurrency = 5;

    /// <summary>Gets the batches invoked at once locally: <see cref="MaximumConcurrency"/>, or <see cref="LocalDefaultConcurrency"/>.</summary>
    public int EffectiveConcurrency => MaximumConcurrency ?? LocalDefaultConcurrency;
}
