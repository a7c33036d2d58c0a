namespace OrderPipeline.Api.Orders;

/// <summary>
/// Order ids: time-ordered UUIDv7s (kind to the primary key's index), with or without an Idempotency-Key. A keyed
/// order's id is issued at the key's first use and remembered with it (see Idempotency/), not derived from the key, so
/// that the key can be checked against the request and the id still says when it was issued ("not recorded yet").
/// </summary>
public static class OrderIds
{
    public static string New(TimeProvider clock) => Guid.CreateVersion7(clock.GetUtcNow()).ToString();

    /// <summary>When a UUIDv7 order id was issued; null for any other id.</summary>
    public static DateTimeOffset? IssuedAt(Guid id)
    {
        if (id.Version != 7)
        {
            return null;
        }
        Span<byte> bytes = stackalloc byte[16];
        id.TryWriteBytes(bytes, bigEndian: true, out _);
        long milliseconds = 0;
        for (var i = 0; i < 6; i++)
        {
            milliseconds = (milliseconds << 8) | bytes[i];
        }
        return DateTimeOffset.FromUnixTimeMilliseconds(milliseconds);
    }
}
