using OrderPipeline.Data.Retention;

namespace OrderPipeline.Api.Idempotency;

/// <summary>How Idempotency-Keys are remembered. Bound to the <c>Idempotency</c> configuration section.</summary>
public sealed record IdempotencyOptions
{
    public const string SectionName = "Idempotency";

    /// <summary>How long after its first use a key names the same order; after that the key starts a new order.</summary>
    public TimeSpan KeyRetention { get; init; } = TimeSpan.FromHours(24);

    /// <summary>How long a keyed POST waits for the database before answering 503 (the Api's Lambda has 15 s in all).</summary>
    public TimeSpan DatabaseTimeout { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>How often the Api deletes expired keys. Correctness does not depend on it: an expired row is ignored.</summary>
    public TimeSpan CleanupInterval { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Rows per DELETE, so that the cleanup never holds many locks or a long transaction.</summary>
    public int CleanupBatchSize { get; init; } = 1000;

    /// <summary>Keys past retention, for the shared retention cleanup.</summary>
    public ExpiredRows ExpiredRows => new("idempotency_keys", "created_at", KeyRetention, CleanupInterval, CleanupBatchSize);
}
