using System.Text.Json;
using OrderPipeline.Messaging.Events;

namespace OrderPipeline.UnitTests;

[Trait("Category", "Unit")]
public sealed class EventJsonContextTests
{
    private static readonly DateTime Accepted = new(2025, 3, 14, 15, 9, 26, 535, DateTimeKind.Utc);
    private static readonly DateTime Settled = new(2025, 3, 14, 15, 9, 27, DateTimeKind.Utc);

    private static string[] Names(JsonElement element) => [.. element.EnumerateObject().Select(p => p.Name)];

    [Fact]
    public void OrderCreated_uses_exactly_the_schema_field_names()
    {
        var json = JsonSerializer.Serialize(
            new OrderCreated("o-1", "c-1", [new OrderLine("p-1", 2), new OrderLine("p-2", 1)], Accepted),
            EventJsonContext.Default.OrderCreated);

        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        Assert.Equal(["order_id", "customer_id", "items", "timestamp"], Names(root));
        Assert.All(root.GetProperty("items").EnumerateArray(), item => Assert.Equal(["product_id", "quantity"], Names(item)));
        Assert.Equal("o-1", root.GetProperty("order_id").GetString());
        Assert.Equal("c-1", root.GetProperty("customer_id").GetString());
        Assert.Equal("p-2", root.GetProperty("items")[1].GetProperty("product_id").GetString());
        Assert.Equal(JsonValueKind.Number, root.GetProperty("items")[0].GetProperty("quantity").ValueKind);
        Assert.Equal(2, root.GetProperty("items")[0].GetProperty("quantity").GetInt32());
    }

    [Fact]
    public void OrderCreated_writes_the_timestamp_as_iso_8601_utc()
    {
        var json = JsonSerializer.Serialize(new OrderCreated("o-1", "c-1", [new OrderLine("p-1", 1)], Accepted), EventJsonContext.Default.OrderCreated);

        using var document = JsonDocument.Parse(json);
        Assert.Equal("2025-03-14T15:09:26.535Z", document.RootElement.GetProperty("timestamp").GetString());
    }

    [Fact]
    public void OrderCreated_round_trips()
    {
        var created = new OrderCreated("o-1", "c-1", [new OrderLine("p-1", 2), new OrderLine("p-2", 1)], Accepted);

        var back = JsonSerializer.Deserialize(JsonSerializer.Serialize(created, EventJsonContext.Default.OrderCreated), EventJsonContext.Default.OrderCreated);

        Assert.NotNull(back);
        Assert.Equal(created.OrderId, back.OrderId);
        Assert.Equal(created.CustomerId, back.CustomerId);
        Assert.Equal(created.Items, back.Items);
        Assert.Equal(created.Timestamp, back.Timestamp);
        Assert.Equal(DateTimeKind.Utc, back.Timestamp.Kind);
    }

    [Theory]
    [InlineData(OrderStatus.Processed, "PROCESSED")]
    [InlineData(OrderStatus.Failed, "FAILED")]
    [InlineData(OrderStatus.Pending, "PENDING")]
    public void OrderProcessed_writes_the_status_in_capitals(OrderStatus status, string expected)
    {
        var json = JsonSerializer.Serialize(new OrderProcessed("o-1", "c-1", status, Settled, Accepted), EventJsonContext.Default.OrderProcessed);

        using var document = JsonDocument.Parse(json);
        Assert.Equal(expected, document.RootElement.GetProperty("status").GetString());
    }

    [Fact]
    public void OrderProcessed_omits_reason_when_null()
    {
        var json = JsonSerializer.Serialize(
            new OrderProcessed("o-1", "c-1", OrderStatus.Processed, Settled, Accepted), EventJsonContext.Default.OrderProcessed);

        using var document = JsonDocument.Parse(json);
        Assert.Equal(["order_id", "customer_id", "status", "processed_at", "order_timestamp"], Names(document.RootElement));
        Assert.Equal("2025-03-14T15:09:27Z", document.RootElement.GetProperty("processed_at").GetString());
        Assert.Equal("2025-03-14T15:09:26.535Z", document.RootElement.GetProperty("order_timestamp").GetString());
    }

    [Fact]
    public void OrderProcessed_writes_reason_when_set()
    {
        var json = JsonSerializer.Serialize(
            new OrderProcessed("o-1", "c-1", OrderStatus.Failed, Settled, Accepted, "insufficient stock: p-1 (requested 2, available 1)"),
            EventJsonContext.Default.OrderProcessed);

        using var document = JsonDocument.Parse(json);
        Assert.Equal("insufficient stock: p-1 (requested 2, available 1)", document.RootElement.GetProperty("reason").GetString());
    }

    [Theory]
    [InlineData(OrderStatus.Processed, null)]
    [InlineData(OrderStatus.Failed, "unknown product: ghost")]
    public void OrderProcessed_round_trips(OrderStatus status, string? reason)
    {
        var processed = new OrderProcessed("o-1", "c-1", status, Settled, Accepted, reason);

        var back = JsonSerializer.Deserialize(
            JsonSerializer.Serialize(processed, EventJsonContext.Default.OrderProcessed), EventJsonContext.Default.OrderProcessed);

        Assert.Equal(processed, back);
    }
}
