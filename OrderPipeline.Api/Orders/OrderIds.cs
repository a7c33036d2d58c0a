using System.Security.Cryptography;
using System.Text;

namespace OrderPipeline.Api.Orders;

/// <summary>
/// Order ids. Without an Idempotency-Key: a time-ordered UUIDv7 (kind to the primary key's index).
/// With one: derived from the customer and the key, so a client's retry names the same order, and the
/// Processor, which records each order id once, turns the second request into a no-op. No lookup needed.
/// </summary>
public static class OrderIds
{
    // Fixed namespace so derived ids never change between releases.
    private static readonly byte[] IdempotencyNamespace = Encoding.ASCII.GetBytes("orderpipeline:idempotency:v1\n");

    public static string New(TimeProvider clock) => Guid.CreateVersion7(clock.GetUtcNow()).ToString();

    /// <summary>A name-based UUID (RFC 9562 version 8, SHA-256) of customer and key.</summary>
    public static string FromIdempotencyKey(string customerId, string idempotencyKey)
    {
        var name = Encoding.UTF8.GetBytes($"{customerId.Length}:{customerId}{idempotencyKey}");
        var hash = SHA256.HashData([.. IdempotencyNamespace, .. name]);
        var bytes = hash.AsSpan(0, 16).ToArray();
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x80); // version 8
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80); // RFC 9562 variant
        return new Guid(bytes, bigEndian: true).ToString();
    }

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
