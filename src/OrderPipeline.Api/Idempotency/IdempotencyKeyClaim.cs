namespace OrderPipeline.Api.Idempotency;

/// <summary>What the database remembers for a key after a POST used it.</summary>
/// <param name="OrderId">The order the key names: the one just issued, or the one issued at its first use.</param>
/// <param name="SameRequest">Whether this request's fingerprint is the one the key was first used with.</param>
/// <param name="FirstUse">Whether this request issued the order id (a new key, or an expired one used again).</param>
public sealed record IdempotencyKeyClaim(string OrderId, bool SameRequest, bool FirstUse);
