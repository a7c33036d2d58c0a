using System.Text.Json.Serialization;

namespace OrderPipeline.Messaging.Events;

[JsonConverter(typeof(OrderStatusJsonConverter))]
public enum OrderStatus
{
    [JsonStringEnumMemberName("PENDING")] Pending,
    [JsonStringEnumMemberName("PROCESSED")] Processed,
    [JsonStringEnumMemberName("FAILED")] Failed,
}

/// <summary>Statuses travel as their names only: a number is not a status.</summary>
public sealed class OrderStatusJsonConverter() : JsonStringEnumConverter<OrderStatus>(namingPolicy: null, allowIntegerValues: false);
