using System.Text;
using OrderPipeline.Api.Orders;
using OrderPipeline.Messaging.Events;

namespace OrderPipeline.UnitTests;

[Trait("Category", "Unit")]
public sealed class OrderValidatorTests
{
    private static (PlaceOrderRequest? Request, Dictionary<string, string[]> Errors) Validate(string json) =>
        OrderValidator.Validate(Encoding.UTF8.GetBytes(json));

    private static string Items(int count, Func<int, string>? line = null) =>
        "[" + string.Join(",", Enumerable.Range(0, count).Select(line ?? (i => $$"""{"product_id":"p-{{i}}","quantity":1}"""))) + "]";

    private static string Order(string customerId = "\"c-1\"", string? items = null) =>
        $$"""{"customer_id":{{customerId}},"items":{{items ?? Items(1)}}}""";

    /// <summary>Asserts the order is refused with errors on exactly these fields.</summary>
    private static Dictionary<string, string[]> AssertRejected(string json, params string[] fields)
    {
        var (request, errors) = Validate(json);
        Assert.Null(request);
        Assert.Equal(fields.Order(StringComparer.Ordinal), errors.Keys.Order(StringComparer.Ordinal));
        Assert.All(errors.Values, messages => Assert.NotEmpty(messages));
        return errors;
    }

    [Fact]
    public void Parses_a_valid_order()
    {
        var (request, errors) = Validate("""
            {"customer_id":"customer-42","items":[{"product_id":"widget","quantity":2},{"product_id":"gadget","quantity":1000}]}
            """);

        Assert.Empty(errors);
        Assert.NotNull(request);
        Assert.Equal("customer-42", request.CustomerId);
        Assert.Equal([new OrderLine("widget", 2), new OrderLine("gadget", 1000)], request.Items);
    }

    [Fact]
    public void Accepts_fields_in_any_order_and_inner_spaces_in_identifiers()
    {
        var (request, errors) = Validate("""{"items":[{"quantity":3,"product_id":"blue widget"}],"customer_id":"Acme Corp"}""");

        Assert.Empty(errors);
        Assert.Equal("Acme Corp", request!.CustomerId);
        Assert.Equal([new OrderLine("blue widget", 3)], request.Items);
    }

    [Fact]
    public void Rejects_missing_customer_id() =>
        AssertRejected($$"""{"items":{{Items(1)}}}""", "customer_id");

    [Theory]
    [InlineData("null")]
    [InlineData("123")]
    [InlineData("true")]
    [InlineData("{}")]
    [InlineData("[\"c-1\"]")]
    public void Rejects_customer_id_that_is_null_or_not_a_string(string customerId) =>
        AssertRejected(Order(customerId), "customer_id");

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("\\t")]
    [InlineData(" c-1")]
    [InlineData("c-1 ")]
    [InlineData("c\\u00011")]
    [InlineData("c\\n1")]
    [InlineData("c\\u007f1")]
    public void Rejects_customer_id_that_is_blank_padded_or_has_control_characters(string escapedCustomerId) =>
        AssertRejected(Order($"\"{escapedCustomerId}\""), "customer_id");

    [Fact]
    public void Accepts_customer_id_of_64_characters()
    {
        var (request, errors) = Validate(Order($"\"{new string('c', 64)}\""));

        Assert.Empty(errors);
        Assert.Equal(new string('c', 64), request!.CustomerId);
    }

    [Fact]
    public void Rejects_customer_id_of_65_characters()
    {
        var errors = AssertRejected(Order($"\"{new string('c', 65)}\""), "customer_id");
        Assert.Contains("65", Assert.Single(errors["customer_id"]), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"customer_id":"c-1"}""")]
    [InlineData("""{"customer_id":"c-1","items":null}""")]
    [InlineData("""{"customer_id":"c-1","items":{}}""")]
    [InlineData("""{"customer_id":"c-1","items":"widget"}""")]
    [InlineData("""{"customer_id":"c-1","items":[]}""")]
    public void Rejects_items_that_are_missing_null_not_an_array_or_empty(string json) =>
        AssertRejected(json, "items");

    [Fact]
    public void Accepts_50_items()
    {
        var (request, errors) = Validate(Order(items: Items(50)));

        Assert.Empty(errors);
        Assert.Equal(50, request!.Items.Count);
    }

    [Fact]
    public void Rejects_51_items()
    {
        var errors = AssertRejected(Order(items: Items(51)), "items");
        Assert.Contains("51", Assert.Single(errors["items"]), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1", 1)]
    [InlineData("1000", 1000)]
    [InlineData("7", 7)]
    public void Accepts_quantity_within_limits(string quantity, int expected)
    {
        var (request, errors) = Validate(Order(items: $$"""[{"product_id":"p","quantity":{{quantity}}}]"""));

        Assert.Empty(errors);
        Assert.Equal(expected, Assert.Single(request!.Items).Quantity);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("1001")]
    [InlineData("2147483648")]
    public void Rejects_quantity_out_of_range(string quantity)
    {
        var errors = AssertRejected(Order(items: $$"""[{"product_id":"p","quantity":{{quantity}}}]"""), "items[0].quantity");
        Assert.Contains("between 1 and 1000", Assert.Single(errors["items[0].quantity"]), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("2.5")]
    [InlineData("\"3\"")]
    [InlineData("true")]
    [InlineData("[3]")]
    public void Rejects_quantity_that_is_not_a_whole_number(string quantity)
    {
        var errors = AssertRejected(Order(items: $$"""[{"product_id":"p","quantity":{{quantity}}}]"""), "items[0].quantity");
        Assert.Contains("whole number", Assert.Single(errors["items[0].quantity"]), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""[{"product_id":"p","quantity":null}]""")]
    [InlineData("""[{"product_id":"p"}]""")]
    public void Rejects_null_or_missing_quantity(string items) =>
        AssertRejected(Order(items: items), "items[0].quantity");

    [Fact]
    public void Keys_the_error_by_the_index_of_the_bad_line()
    {
        var errors = AssertRejected(
            Order(items: """[{"product_id":"a","quantity":1},{"product_id":"b","quantity":0},{"product_id":"c","quantity":2}]"""),
            "items[1].quantity");
        Assert.Single(errors["items[1].quantity"]);
    }

    [Theory]
    [InlineData("""[{"quantity":1}]""")]
    [InlineData("""[{"product_id":null,"quantity":1}]""")]
    [InlineData("""[{"product_id":5,"quantity":1}]""")]
    [InlineData("""[{"product_id":"","quantity":1}]""")]
    [InlineData("""[{"product_id":" p","quantity":1}]""")]
    [InlineData("""[{"product_id":"p\u0000","quantity":1}]""")]
    public void Rejects_a_bad_product_id(string items) =>
        AssertRejected(Order(items: items), "items[0].product_id");

    [Fact]
    public void Limits_product_id_to_64_characters()
    {
        Assert.Empty(Validate(Order(items: $$"""[{"product_id":"{{new string('p', 64)}}","quantity":1}]""")).Errors);
        AssertRejected(Order(items: $$"""[{"product_id":"{{new string('p', 65)}}","quantity":1}]"""), "items[0].product_id");
    }

    [Theory]
    [InlineData("[1]")]
    [InlineData("[null]")]
    [InlineData("[\"p\"]")]
    [InlineData("[[]]")]
    public void Rejects_an_item_that_is_not_an_object(string items) =>
        AssertRejected(Order(items: items), "items[0]");

    [Fact]
    public void Rejects_unknown_top_level_fields_by_name()
    {
        var errors = AssertRejected(
            """{"customer_id":"c-1","items":[{"product_id":"p","quantity":1}],"coupon":"FREE","Customer_Id":"x"}""", "coupon", "Customer_Id");
        Assert.Contains("customer_id, items", errors["coupon"][0], StringComparison.Ordinal);
    }

    [Fact]
    public void Rejects_unknown_item_fields_by_path()
    {
        var errors = AssertRejected(
            Order(items: """[{"product_id":"a","quantity":1},{"product_id":"b","quantity":1,"price":9.99}]"""),
            "items[1].price");
        Assert.Contains("product_id, quantity", errors["items[1].price"][0], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("{")]
    [InlineData("{\"customer_id\":\"c-1\",}")]
    [InlineData("{'customer_id':'c-1'}")]
    [InlineData("not json")]
    [InlineData("{\"customer_id\":\"c-1\",\"items\":[]} trailing")]
    public void Rejects_malformed_json_as_a_body_error(string json)
    {
        var errors = AssertRejected(json, "body");
        Assert.StartsWith("is not valid JSON", Assert.Single(errors["body"]), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("\"order\"")]
    [InlineData("42")]
    [InlineData("null")]
    [InlineData("true")]
    public void Rejects_json_that_is_not_an_object_as_a_body_error(string json)
    {
        var errors = AssertRejected(json, "body");
        Assert.Contains("JSON object", Assert.Single(errors["body"]), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"customer_id":"c-1","customer_id":"c-2","items":[{"product_id":"p","quantity":1}]}""")]
    [InlineData("""{"customer_id":"c-1","items":[{"product_id":"p","quantity":1,"quantity":1000}]}""")]
    public void Rejects_duplicate_json_property_names_as_a_body_error(string json) =>
        AssertRejected(json, "body");

    [Fact]
    public void Rejects_json_nested_deeper_than_16_levels_as_a_body_error()
    {
        var deep = new string('[', 20) + new string(']', 20);
        AssertRejected($$"""{"customer_id":"c-1","items":[{"product_id":"p","quantity":1}],"extra":{{deep}}}""", "body");
    }

    [Fact]
    public void Rejects_a_repeated_product_naming_its_first_line()
    {
        var errors = AssertRejected(
            Order(items: """[{"product_id":"a","quantity":1},{"product_id":"b","quantity":1},{"product_id":"a","quantity":2}]"""),
            "items[2].product_id");
        Assert.Contains("items[0]", Assert.Single(errors["items[2].product_id"]), StringComparison.Ordinal);
    }

    [Fact]
    public void Rejects_every_repeat_of_a_product_against_its_first_line()
    {
        var errors = AssertRejected(
            Order(items: """[{"product_id":"b","quantity":1},{"product_id":"a","quantity":1},"""
                + """{"product_id":"a","quantity":1},{"product_id":"a","quantity":1}]"""),
            "items[2].product_id", "items[3].product_id");
        Assert.Contains("items[1]", errors["items[2].product_id"][0], StringComparison.Ordinal);
        Assert.Contains("items[1]", errors["items[3].product_id"][0], StringComparison.Ordinal);
    }

    [Fact]
    public void Treats_product_ids_differing_only_in_case_as_different_products()
    {
        var (request, errors) = Validate(Order(items: """[{"product_id":"a","quantity":1},{"product_id":"A","quantity":1}]"""));

        Assert.Empty(errors);
        Assert.Equal(2, request!.Items.Count);
    }

    [Fact]
    public void Reports_several_errors_at_once()
    {
        var errors = AssertRejected(
            """
            {"customer_id":"  ","items":[{"product_id":"p","quantity":0},{"quantity":2.5},{"product_id":"p","quantity":1,"note":"x"},7],"coupon":1}
            """,
            "customer_id", "items[0].quantity", "items[1].product_id", "items[1].quantity", "items[2].product_id", "items[2].note", "items[3]", "coupon");
        Assert.Contains("items[0]", errors["items[2].product_id"][0], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("a")]
    [InlineData("!")]
    [InlineData("~")]
    [InlineData("order-2025-03-14_retry.1")]
    [InlineData("3f1c8a2e-8d4b-4c1e-9a7f-0b6d5e4c3a21")]
    public void Accepts_an_idempotency_key_of_visible_ascii(string key) =>
        Assert.Null(OrderValidator.CheckIdempotencyKey(key));

    [Fact]
    public void Accepts_an_idempotency_key_of_128_characters_but_not_129()
    {
        Assert.Null(OrderValidator.CheckIdempotencyKey(new string('k', 128)));
        Assert.NotNull(OrderValidator.CheckIdempotencyKey(new string('k', 129)));
    }

    [Theory]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData("two words")]
    [InlineData("tab\t")]
    [InlineData("line\n")]
    [InlineData("caf\u00e9")]
    [InlineData("del\u007f")]
    public void Rejects_an_idempotency_key_that_is_empty_or_not_visible_ascii(string key) =>
        Assert.Equal("must be 1 to 128 visible ASCII characters", OrderValidator.CheckIdempotencyKey(key));
}
