using OrderPipeline.Data.Retention;

namespace OrderPipeline.Processor.Outbox;

/// <summary>How long published outbox rows are kept, bound to <c>Outbox:Retention</c>.</summary>
public sealed record OutboxRetentionOptions
{
    public const string SectionName = "Outbox:Retention";

    /// <summary>
    /// A published row is only history (the event is in SQS, the order in <c>orders</c>): kept a week for whoever
    /// investigates a delivery, then deleted so the table stays the size of its recent traffic.
    /// </summary>
    public double PublishedRetentionDays { get; init; } = 7;

    public double CleanupIntervalMinutes { get; init; } = 15;

    /// <summary>Rows per DELETE: small, so each statement's locks and undo stay short next to the order transactions.</summary>
    public int DeleteBatchSize { get; init; } = 500;

    /// <summary>Published rows past retention; unpublished rows (published_at NULL) are never deleted, however old.</summary>
    public ExpiredRows ExpiredRows => new(
        "outbox", "published_at", TimeSpan.FromDays(PublishedRetentionDays), TimeSpan.FromMinutes(CleanupIntervalMinutes),
        DeleteBatchSize);
}
