namespace OrderPipeline.Api.Orders;

/// <summary>The limits an order must keep. The README's "Order rules" section documents each.</summary>
public static class OrderRules
{
    public const int MaxBodyBytes = 16 * 1024;
    public const int MaxCustomerIdLength = 64;
    public const int MaxProductIdLength = 64;
    public const int MaxItems = 50;
    public const int MaxQuantity = 1000;
    public const int MaxIdempotencyKeyLength = 128;
}
