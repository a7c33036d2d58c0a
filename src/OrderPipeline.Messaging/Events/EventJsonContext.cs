using System.Text.Json.Serialization;

namespace OrderPipeline.Messaging.Events;

/// <summary>Source-generated JSON for the event contracts: snake_case field names, as in the event schema.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    RespectRequiredConstructorParameters = true,
    RespectNullableAnnotations = true)]
[JsonSerializable(typeof(OrderCreated))]
[JsonSerializable(typeof(OrderProcessed))]
// An order's lines on their own: the orders.items column, written by the Processor and read by the Api.
[JsonSerializable(typeof(IReadOnlyList<OrderLine>))]
public sealed partial class EventJsonContext : JsonSerializerContext;
