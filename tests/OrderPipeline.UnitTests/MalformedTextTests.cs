using System.Text;
using OrderPipeline.Api.Orders;

namespace OrderPipeline.UnitTests;

/// <summary>Text the validator must refuse with a 400 rather than throw on: bad UTF-8, unpaired surrogates, invisible ids.</summary>
[Trait("Category", "Unit")]
public sealed class MalformedTextTests
{
    private const string OneItem = """[{"product_id":"p-1","quantity":1}]""";

    /// <summary>The body as raw bytes: <paramref name="before"/>, the bytes, <paramref name="after"/>.</summary>
    private static byte[] Bytes(string before, byte[] raw, string after) =>
        [.. Encoding.UTF8.GetBytes(before), .. raw, .. Encoding.UTF8.GetBytes(after)];

    private static Dictionary<string, string[]> AssertRejected(byte[] body, params string[] fields)
    {
        var (request, errors) = OrderValidator.Validate(body);
        Assert.Null(request);
        Assert.Equal(fields.Order(StringComparer.Ordinal), errors.Keys.Order(StringComparer.Ordinal));
        Assert.All(errors.Values, messages => Assert.NotEmpty(messages));
        return errors;
    }

    private const string AfterCustomerId = "\",\"items\":" + OneItem + "}";

    public static TheoryData<byte[]> InvalidUtf8 => new()
    {
        Bytes("{\"customer_id\":\"caf", [0xE9], AfterCustomerId),             // Latin-1 é
        Bytes("{\"customer_id\":\"c", [0xFF, 0xFE], AfterCustomerId),         // never valid in UTF-8
        Bytes("{\"customer_id\":\"c", [0xC3], AfterCustomerId),               // a sequence cut short
        Bytes("{\"customer_id\":\"c", [0xC0, 0xAF], AfterCustomerId),         // overlong "/"
        Bytes("{\"customer_id\":\"c", [0xED, 0xA0, 0x80], AfterCustomerId),   // a surrogate encoded as UTF-8
        Bytes("{\"customer_id\":\"c\",\"items\":[{\"product_id\":\"p", [0xF4, 0x90, 0x80, 0x80], "\",\"quantity\":1}]}"), // above U+10FFFF
        Bytes("{\"c", [0x80], "\":\"x\",\"customer_id\":\"c\",\"items\":" + OneItem + "}"), // in a property name
        Bytes("{\"customer_id\":\"c\",\"items\":", [0xE9], OneItem + "}"), // outside any string
    };

    [Theory]
    [MemberData(nameof(InvalidUtf8))]
    public void Rejects_invalid_utf8_anywhere_as_a_body_error(byte[] body) =>
        AssertRejected(body, "body");

    [Theory]
    [InlineData($$"""{"customer_id":"\udc00","items":{{OneItem}}}""")]
    [InlineData($$"""{"customer_id":"c\ud800","items":{{OneItem}}}""")]
    [InlineData($$"""{"customer_id":"\ud800\ud800","items":{{OneItem}}}""")]
    [InlineData("""{"customer_id":"c","items":[{"product_id":"\udfff","quantity":1}]}""")]
    [InlineData("""{"\ud800":1}""")]
    [InlineData($$"""{"customer_id":"c","items":{{OneItem}},"\udc00x":1}""")]
    [InlineData("""{"customer_id":"c","items":[{"product_id":"p","quantity":1,"\udbff":2}]}""")]
    [InlineData($$"""{"customer_id":"c","items":{{OneItem}},"note":["\udc00"]}""")]
    public void Rejects_escaped_unpaired_surrogates_in_values_and_property_names_as_a_body_error(string json) =>
        AssertRejected(Encoding.UTF8.GetBytes(json), "body");

    [Fact]
    public void Accepts_an_escaped_surrogate_pair()
    {
        var (request, errors) = OrderValidator.Validate(Encoding.UTF8.GetBytes($$"""{"customer_id":"c-\ud83d\ude00","items":{{OneItem}}}"""));

        Assert.Empty(errors);
        Assert.Equal("c-\U0001F600", request!.CustomerId);
    }

    [Theory]
    [InlineData("a\u200Bb")]      // zero-width space
    [InlineData("\uFEFFc-1")]     // byte order mark
    [InlineData("c-\u202E1")]     // right-to-left override
    [InlineData("c\u00AD1")]      // soft hyphen
    [InlineData("c\u2060")]       // word joiner
    [InlineData("c\U000E0001")]   // language tag, outside the BMP
    public void Rejects_invisible_format_characters_in_customer_id(string customerId)
    {
        var json = $$"""{"customer_id":"{{customerId}}","items":{{OneItem}}}""";

        var errors = AssertRejected(Encoding.UTF8.GetBytes(json), "customer_id");

        Assert.Contains("invisible format characters", errors["customer_id"][0], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\\u200b")]
    [InlineData("\\ufeff")]
    [InlineData("\\u202e")]
    [InlineData("\\udb40\\udc01")]
    public void Rejects_escaped_invisible_format_characters_in_product_id(string escaped)
    {
        var json = $$"""{"customer_id":"c","items":[{"product_id":"p-1","quantity":1},{"product_id":"p{{escaped}}2","quantity":1}]}""";

        var errors = AssertRejected(Encoding.UTF8.GetBytes(json), "items[1].product_id");

        Assert.Contains("invisible format characters", errors["items[1].product_id"][0], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Ünïcödé-ÇÜSTOMER")]
    [InlineData("客户-42")]
    [InlineData("c-\U0001F600")]
    [InlineData("Acme Corp")]
    public void Accepts_visible_non_ascii_identifiers(string customerId)
    {
        var (request, errors) = OrderValidator.Validate(Encoding.UTF8.GetBytes($$"""{"customer_id":"{{customerId}}","items":{{OneItem}}}"""));

        Assert.Empty(errors);
        Assert.Equal(customerId, request!.CustomerId);
    }

    [Theory]
    [InlineData("application/json")]
    [InlineData("application/json; charset=utf-8")]
    [InlineData("application/json; charset=UTF-8")]
    [InlineData("application/json;charset=\"utf-8\"")]
    [InlineData("application/problem+json; charset=utf8")]
    [InlineData(null)]
    public void Accepts_no_charset_or_utf8(string? contentType) =>
        Assert.Null(OrderValidator.CheckCharset(contentType));

    [Theory]
    [InlineData("application/json; charset=iso-8859-1", "iso-8859-1")]
    [InlineData("application/json; charset=windows-1252", "windows-1252")]
    [InlineData("application/json; charset=\"utf-16\"", "utf-16")]
    [InlineData("application/json; charset=latin1", "latin1")]
    public void Refuses_a_body_declared_in_another_charset(string contentType, string charset) =>
        Assert.Contains($"charset={charset}", OrderValidator.CheckCharset(contentType), StringComparison.Ordinal);
}
