namespace OrderPipeline.Processor.Orders;

/// <summary>The order transaction's settings, bound to <c>Orders:Transaction</c>.</summary>
public sealed record OrderTransactionOptions
{
    public const string SectionName = "Orders:Transaction";

    /// <summary>
    /// The session's innodb_lock_wait_timeout. The server's default (50 s) is longer than the queue's visibility
    /// timeout: one order stuck behind a held row would be delivered again mid-wait. Short, and checked at start so that
    /// all of <see cref="OrderTransaction.MaxAttempts"/> attempts fit within the visibility timeout.
    /// </summary>
    public int LockWaitTimeoutSeconds { get; init; } = 3;

    /// <summary>The longest the transaction can spend waiting on locks and backing off over all its attempts.</summary>
    public TimeSpan WorstCaseLockWaits =>
        TimeSpan.FromSeconds(LockWaitTimeoutSeconds * OrderTransaction.MaxAttempts) + OrderTransaction.MaxTotalBackoff;
}
