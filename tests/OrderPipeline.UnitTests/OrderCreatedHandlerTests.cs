using OrderPipeline.Messaging.Consuming;
using OrderPipeline.Messaging.Events;
using OrderPipeline.Processor.Orders;

namespace OrderPipeline.UnitTests;

[Trait("Category", "Unit")]
public sealed class OrderCreatedHandlerTests
{
    private const string OrderId = "01959533-fa87-7c3e-9b1a-2d4c6e8f0a12";

    private const string DefaultItems = """[{"product_id":"widget","quantity":2},{"product_id":"gadget","quantity":1}]""";

    private static string Event(
        string orderId = $"\"{OrderId}\"",
        string customerId = "\"customer-1\"",
        string? items = null,
        string timestamp = "\"2025-03-14T15:09:26.535Z\"") =>
        $$"""{"order_id":{{orderId}},"customer_id":{{customerId}},"items":{{items ?? DefaultItems}},"timestamp":{{timestamp}}}""";

    [Fact]
    public void Parses_a_valid_event()
    {
        var order = OrderCreatedHandler.Parse(Event());

        Assert.Equal(OrderId, order.OrderId);
        Assert.Equal("customer-1", order.CustomerId);
        Assert.Equal([new OrderLine("widget", 2), new OrderLine("gadget", 1)], order.Items);
        Assert.Equal(new DateTime(2025, 3, 14, 15, 9, 26, 535, DateTimeKind.Utc), order.Timestamp);
        Assert.Equal(DateTimeKind.Utc, order.Timestamp.Kind);
    }

    [Fact]
    public void Parses_what_the_api_publishes()
    {
        var published = new OrderCreated(OrderId, "customer-1", [new OrderLine("widget", 2)], new DateTime(2025, 3, 14, 15, 9, 26, DateTimeKind.Utc));

        var order = OrderCreatedHandler.Parse(System.Text.Json.JsonSerializer.Serialize(published, EventJsonContext.Default.OrderCreated));

        Assert.Equal(published.OrderId, order.OrderId);
        Assert.Equal(published.Timestamp, order.Timestamp);
        Assert.Equal(published.Items, order.Items);
    }

    [Fact]
    public void Accepts_an_order_id_of_36_characters()
    {
        Assert.Equal(new string('o', 36), OrderCreatedHandler.Parse(Event(orderId: $"\"{new string('o', 36)}\"")).OrderId);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("")]
    [InlineData("{")]
    [InlineData("[]")]
    [InlineData("null")]
    public void Rejects_a_body_that_is_not_an_event(string body)
    {
        Assert.Throws<InvalidMessageException>(() => OrderCreatedHandler.Parse(body));
    }

    [Fact]
    public void Rejects_an_event_without_order_id()
    {
        Assert.Throws<InvalidMessageException>(() => OrderCreatedHandler.Parse(
            """{"customer_id":"customer-1","items":[{"product_id":"widget","quantity":2}],"timestamp":"2025-03-14T15:09:26Z"}"""));
    }

    [Fact]
    public void Rejects_an_event_without_timestamp()
    {
        Assert.Throws<InvalidMessageException>(() => OrderCreatedHandler.Parse(
            $$"""{"order_id":"{{OrderId}}","customer_id":"customer-1","items":[{"product_id":"widget","quantity":2}]}"""));
    }

    [Theory]
    [InlineData("null")]
    [InlineData("\"\"")]
    [InlineData("\"0123456789-0123456789-0123456789-abcd\"")] // 37 characters
    [InlineData("42")]
    public void Rejects_a_bad_order_id(string orderId)
    {
        Assert.Throws<InvalidMessageException>(() => OrderCreatedHandler.Parse(Event(orderId: orderId)));
    }

    [Theory]
    [InlineData("null")]
    [InlineData("\"\"")]
    public void Rejects_a_bad_customer_id(string customerId)
    {
        Assert.Throws<InvalidMessageException>(() => OrderCreatedHandler.Parse(Event(customerId: customerId)));
    }

    [Fact]
    public void Rejects_a_customer_id_longer_than_64_characters()
    {
        Assert.Throws<InvalidMessageException>(() => OrderCreatedHandler.Parse(Event(customerId: $"\"{new string('c', 65)}\"")));
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("null")]
    [InlineData("[null]")]
    [InlineData("""[{"product_id":"widget","quantity":0}]""")]
    [InlineData("""[{"product_id":"widget","quantity":-3}]""")]
    [InlineData("""[{"product_id":"widget","quantity":2.5}]""")]
    [InlineData("""[{"product_id":"","quantity":1}]""")]
    [InlineData("""[{"quantity":1}]""")]
    [InlineData("""[{"product_id":"widget"}]""")]
    public void Rejects_bad_items(string items)
    {
        Assert.Throws<InvalidMessageException>(() => OrderCreatedHandler.Parse(Event(items: items)));
    }

    [Fact]
    public void Rejects_a_product_id_longer_than_64_characters()
    {
        Assert.Throws<InvalidMessageException>(() => OrderCreatedHandler.Parse(Event(items: $$"""[{"product_id":"{{new string('p', 65)}}","quantity":1}]""")));
    }

    [Fact]
    public void Keeps_the_json_error_as_the_inner_exception()
    {
        var ex = Assert.Throws<InvalidMessageException>(() => OrderCreatedHandler.Parse("{\"order_id\":"));

        Assert.IsAssignableFrom<System.Text.Json.JsonException>(ex.InnerException);
    }
}
