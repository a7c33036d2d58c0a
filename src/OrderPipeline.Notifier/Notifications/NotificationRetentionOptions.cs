using OrderPipeline.Data.Retention;

namespace OrderPipeline.Notifier.Notifications;

/// <summary>How long the Notifier remembers what it announced, bound to <c>Notifications:Retention</c>.</summary>
public sealed record NotificationRetentionOptions
{
    public const string SectionName = "Notifications:Retention";

    /// <summary>SQS keeps a message at most 14 days; a row is needed as long as its event may still be redelivered.</summary>
    public const double SqsMaxRetentionDays = 14;

    /// <summary>
    /// Longer than SQS can keep a message (14 days), so a late redelivery of OrderProcessed still finds its row and is
    /// recognised as a repeat; then deleted, so the table holds a month of orders, not all of them.
    /// </summary>
    public double RetentionDays { get; init; } = 30;

    public double CleanupIntervalMinutes { get; init; } = 15;

    /// <summary>Rows per DELETE: small, so each statement's locks and undo stay short next to the Notifier's inserts.</summary>
    public int DeleteBatchSize { get; init; } = 500;

    public ExpiredRows ExpiredRows => new(
        "notifications", "notified_at", TimeSpan.FromDays(RetentionDays), TimeSpan.FromMinutes(CleanupIntervalMinutes),
        DeleteBatchSize);
}
