using System.Text.Json.Serialization;

namespace OrderPipeline.Messaging.Events;

[JsonConverter(typeof(JsonStringEnumConverter<OrderStatus>))]
public enum OrderStatus
{
    [JsonStringEnumMemberName("PENDING")] Pending,
    [JsonStringEnumMemberName("PROCESSED")] Processed,
    [JsonStringEnumMemberName("FAILED")] Failed,
}
