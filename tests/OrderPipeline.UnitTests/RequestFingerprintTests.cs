using System.Text;
using OrderPipeline.Api.Idempotency;
using OrderPipeline.Api.Orders;
using OrderPipeline.Messaging.Events;

namespace OrderPipeline.UnitTests;

[Trait("Category", "Unit")]
public sealed class RequestFingerprintTests
{
    private const string Reference = """{"customer_id":"c-42","items":[{"product_id":"SKU-1","quantity":2},{"product_id":"SKU-2","quantity":1}]}""";

    private static byte[] Of(string json)
    {
        var (request, errors) = OrderValidator.Validate(Encoding.UTF8.GetBytes(json));
        Assert.Empty(errors);
        return RequestFingerprint.Of(request!);
    }

    [Theory]
    [InlineData("white space and new lines",
        "{\n  \"customer_id\" : \"c-42\",\n  \"items\" : [ { \"product_id\" : \"SKU-1\", \"quantity\" : 2 },\n"
            + " { \"product_id\" : \"SKU-2\", \"quantity\" : 1 } ]\n}\n")]
    [InlineData("property order", """{"items":[{"quantity":2,"product_id":"SKU-1"},{"quantity":1,"product_id":"SKU-2"}],"customer_id":"c-42"}""")]
    [InlineData("escaped characters", """{"customer_id":"\u0063-42","items":[{"product_id":"SKU\u002D1","quantity":2},{"product_id":"SKU-2","quantity":1}]}""")]
    [InlineData("number spelling", """{"customer_id":"c-42","items":[{"product_id":"SKU-1","quantity":2.0},{"product_id":"SKU-2","quantity":1e0}]}""")]
    [InlineData("line order", """{"customer_id":"c-42","items":[{"product_id":"SKU-2","quantity":1},{"product_id":"SKU-1","quantity":2}]}""")]
    public void The_same_order_written_differently_has_the_same_fingerprint(string difference, string json)
    {
        Assert.True(Of(Reference).AsSpan().SequenceEqual(Of(json)), difference);
    }

    [Theory]
    [InlineData("another quantity", """{"customer_id":"c-42","items":[{"product_id":"SKU-1","quantity":3},{"product_id":"SKU-2","quantity":1}]}""")]
    [InlineData("another product", """{"customer_id":"c-42","items":[{"product_id":"SKU-3","quantity":2},{"product_id":"SKU-2","quantity":1}]}""")]
    [InlineData("a line less", """{"customer_id":"c-42","items":[{"product_id":"SKU-1","quantity":2}]}""")]
    [InlineData("another customer", """{"customer_id":"c-43","items":[{"product_id":"SKU-1","quantity":2},{"product_id":"SKU-2","quantity":1}]}""")]
    [InlineData("case of a product id", """{"customer_id":"c-42","items":[{"product_id":"sku-1","quantity":2},{"product_id":"SKU-2","quantity":1}]}""")]
    public void A_different_order_has_a_different_fingerprint(string difference, string json)
    {
        Assert.False(Of(Reference).AsSpan().SequenceEqual(Of(json)), difference);
    }

    [Fact]
    public void The_canonical_form_is_versioned_length_prefixed_and_sorted_by_product_id()
    {
        var order = new PlaceOrderRequest("c-42", [new OrderLine("SKU-2", 1), new OrderLine("SKU-10", 20), new OrderLine("Ä", 3)]);

        Assert.Equal(
            "orderpipeline:order:v1\ncustomer_id=4:c-42\nitem=6:SKU-10 quantity=20\nitem=5:SKU-2 quantity=1\nitem=1:Ä quantity=3\n",
            RequestFingerprint.CanonicalForm(order));
    }

    [Fact]
    public void Length_prefixes_keep_fields_apart()
    {
        // Without the prefixes both would read "item=a quantity=1 ..." in some concatenation.
        var one = new PlaceOrderRequest("c", [new OrderLine("a quantity=1\nitem=b", 2)]);
        var two = new PlaceOrderRequest("c", [new OrderLine("a", 1), new OrderLine("b", 2)]);

        Assert.NotEqual(RequestFingerprint.CanonicalForm(one), RequestFingerprint.CanonicalForm(two));
    }

    [Fact]
    public void The_fingerprint_is_the_sha256_of_the_canonical_form_and_stable_across_releases()
    {
        // Pinned: keys remembered before an upgrade must still match the same order after it.
        var order = new PlaceOrderRequest("c-42", [new OrderLine("SKU-1", 2)]);

        Assert.Equal(
            Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(
                Encoding.UTF8.GetBytes("orderpipeline:order:v1\ncustomer_id=4:c-42\nitem=5:SKU-1 quantity=2\n"))),
            Convert.ToHexStringLower(RequestFingerprint.Of(order)));
        Assert.Equal(32, RequestFingerprint.Of(order).Length);
    }
}
