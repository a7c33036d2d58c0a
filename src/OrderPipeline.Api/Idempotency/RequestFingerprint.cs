using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using OrderPipeline.Api.Orders;

namespace OrderPipeline.Api.Idempotency;

/// <summary>
/// What makes two requests "the same order" for an Idempotency-Key: the SHA-256 of a canonical form of the validated
/// order, not of the body's bytes. White space, property order, escapes (<c>"\u0041"</c> for <c>"A"</c>) and number
/// spelling (<c>2</c>, <c>2.0</c>, <c>2e0</c>) are gone after validation, and so is the order of the lines: product ids
/// are unique within an order, so the lines are a set and a client that rebuilds its body from a map still repeats
/// the same order. Everything that changes what is ordered (customer, a product, a quantity) changes the fingerprint.
/// </summary>
public static class RequestFingerprint
{
    // A format of our own rather than a JSON serializer's output, which may change between releases: a fingerprint
    // stored before an upgrade must still match the same order after it. Change the version if the form ever changes.
    private const string Version = "orderpipeline:order:v1";

    public static byte[] Of(PlaceOrderRequest order) => SHA256.HashData(Encoding.UTF8.GetBytes(CanonicalForm(order)));

    /// <summary>
    /// One line per fact, each text length-prefixed (in UTF-16 code units) so that no two orders share a form;
    /// lines sorted by product id, ordinal.
    /// </summary>
    public static string CanonicalForm(PlaceOrderRequest order)
    {
        var text = new StringBuilder(Version).Append('\n');
        text.Append("customer_id=").Append(Prefixed(order.CustomerId)).Append('\n');
        foreach (var line in order.Items.OrderBy(i => i.ProductId, StringComparer.Ordinal))
        {
            text.Append("item=").Append(Prefixed(line.ProductId))
                .Append(" quantity=").Append(line.Quantity.ToString(CultureInfo.InvariantCulture)).Append('\n');
        }
        return text.ToString();
    }

    private static string Prefixed(string value) => string.Create(CultureInfo.InvariantCulture, $"{value.Length}:{value}");
}
