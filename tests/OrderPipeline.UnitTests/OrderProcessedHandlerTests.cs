using OrderPipeline.Messaging.Consuming;
using OrderPipeline.Messaging.Events;
using OrderPipeline.Notifier.Notifications;

namespace OrderPipeline.UnitTests;

[Trait("Category", "Unit")]
public sealed class OrderProcessedHandlerTests
{
    private const string OrderId = "01959533-fa87-7c3e-9b1a-2d4c6e8f0a12";

    [Fact]
    public void Parses_a_processed_event_without_reason()
    {
        // Regression: the Processor omits "reason" for a processed order; that must not make the event invalid.
        var order = OrderProcessedHandler.Parse($$"""
            {"order_id":"{{OrderId}}","customer_id":"customer-1","status":"PROCESSED",
            """ + """
            "processed_at":"2025-03-14T15:09:27.1Z","order_timestamp":"2025-03-14T15:09:26.535Z"}
            """);

        Assert.Equal(OrderId, order.OrderId);
        Assert.Equal("customer-1", order.CustomerId);
        Assert.Equal(OrderStatus.Processed, order.Status);
        Assert.Null(order.Reason);
        Assert.Equal(new DateTime(2025, 3, 14, 15, 9, 27, 100, DateTimeKind.Utc), order.ProcessedAt);
        Assert.Equal(new DateTime(2025, 3, 14, 15, 9, 26, 535, DateTimeKind.Utc), order.OrderTimestamp);
    }

    [Fact]
    public void Parses_a_failed_event_with_its_reason()
    {
        var order = OrderProcessedHandler.Parse($$"""
            {"order_id":"{{OrderId}}","customer_id":"customer-1","status":"FAILED",
            """ + """
            "processed_at":"2025-03-14T15:09:27Z","order_timestamp":"2025-03-14T15:09:26Z","reason":"unknown product: ghost"}
            """);

        Assert.Equal(OrderStatus.Failed, order.Status);
        Assert.Equal("unknown product: ghost", order.Reason);
    }

    [Fact]
    public void Parses_what_the_processor_publishes()
    {
        var published = new OrderProcessed(OrderId, "customer-1", OrderStatus.Processed,
            new DateTime(2025, 3, 14, 15, 9, 27, DateTimeKind.Utc), new DateTime(2025, 3, 14, 15, 9, 26, DateTimeKind.Utc));

        Assert.Equal(published, OrderProcessedHandler.Parse(System.Text.Json.JsonSerializer.Serialize(published, EventJsonContext.Default.OrderProcessed)));
    }

    [Fact]
    public void Rejects_a_pending_status()
    {
        Assert.Throws<InvalidMessageException>(() => OrderProcessedHandler.Parse($$"""
            {"order_id":"{{OrderId}}","customer_id":"customer-1","status":"PENDING",
            """ + """
            "processed_at":"2025-03-14T15:09:27Z","order_timestamp":"2025-03-14T15:09:26Z"}
            """));
    }

    [Theory]
    [InlineData("\"DONE\"")]
    [InlineData("null")]
    [InlineData("\"\"")]
    public void Rejects_an_unknown_status(string status)
    {
        Assert.Throws<InvalidMessageException>(() => OrderProcessedHandler.Parse($$"""
            {"order_id":"{{OrderId}}","customer_id":"customer-1","status":{{status}},
            """ + """
            "processed_at":"2025-03-14T15:09:27Z","order_timestamp":"2025-03-14T15:09:26Z"}
            """));
    }

    [Theory]
    [InlineData("1")]
    [InlineData("7")]
    public void Rejects_a_numeric_status(string status)
    {
        // The contract spells the status out; a number (or one outside the enum) is not a valid OrderProcessed.
        Assert.Throws<InvalidMessageException>(() => OrderProcessedHandler.Parse($$"""
            {"order_id":"{{OrderId}}","customer_id":"customer-1","status":{{status}},
            """ + """
            "processed_at":"2025-03-14T15:09:27Z","order_timestamp":"2025-03-14T15:09:26Z"}
            """));
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("")]
    [InlineData("null")]
    [InlineData("[]")]
    [InlineData("""{"customer_id":"customer-1","status":"PROCESSED","processed_at":"2025-03-14T15:09:27Z","order_timestamp":"2025-03-14T15:09:26Z"}""")]
    [InlineData("""{"order_id":"","customer_id":"customer-1","status":"PROCESSED",""" + """
        "processed_at":"2025-03-14T15:09:27Z","order_timestamp":"2025-03-14T15:09:26Z"}
        """)]
    [InlineData("""{"order_id":"0123456789-0123456789-0123456789-abcd","customer_id":"customer-1","status":"PROCESSED",""" + """
        "processed_at":"2025-03-14T15:09:27Z","order_timestamp":"2025-03-14T15:09:26Z"}
        """)]
    [InlineData("""{"order_id":"o-1","customer_id":"","status":"PROCESSED","processed_at":"2025-03-14T15:09:27Z","order_timestamp":"2025-03-14T15:09:26Z"}""")]
    [InlineData("""{"order_id":"o-1","status":"PROCESSED","processed_at":"2025-03-14T15:09:27Z","order_timestamp":"2025-03-14T15:09:26Z"}""")]
    [InlineData("""{"order_id":"o-1","customer_id":"customer-1","processed_at":"2025-03-14T15:09:27Z","order_timestamp":"2025-03-14T15:09:26Z"}""")]
    [InlineData("""{"order_id":"o-1","customer_id":"customer-1","status":"PROCESSED","order_timestamp":"2025-03-14T15:09:26Z"}""")]
    public void Rejects_a_body_that_is_not_a_complete_event(string body)
    {
        Assert.Throws<InvalidMessageException>(() => OrderProcessedHandler.Parse(body));
    }
}
