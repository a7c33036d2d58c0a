using System.Text.Json;
using System.Text.Json.Serialization;

namespace OrderPipeline.Messaging.Consuming;

/// <summary>The SQS event AWS Lambda delivers; the Lambda Web Adapter POSTs it unchanged to /events.</summary>
public sealed record LambdaSqsEvent(IReadOnlyList<LambdaSqsRecord>? Records);

public sealed record LambdaSqsRecord(
    string MessageId,
    string? Body,
    IReadOnlyDictionary<string, string>? Attributes,
    IReadOnlyDictionary<string, LambdaSqsMessageAttribute>? MessageAttributes,
    [property: JsonPropertyName("eventSourceARN")] string? EventSourceArn);

public sealed record LambdaSqsMessageAttribute(string? StringValue, string? DataType);

/// <summary>The partial batch response: the messages Lambda must not delete (needs ReportBatchItemFailures).</summary>
public sealed record LambdaBatchResponse(IReadOnlyList<LambdaBatchItemFailure> BatchItemFailures);

public sealed record LambdaBatchItemFailure(string ItemIdentifier);

/// <summary>The answer to a scheduled invocation (see <see cref="IScheduledTask"/>).</summary>
public sealed record ScheduledTaskResponse(string Task, string Result);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(LambdaSqsEvent))]
[JsonSerializable(typeof(LambdaBatchResponse))]
[JsonSerializable(typeof(ScheduledTaskResponse))]
internal sealed partial class LambdaJsonContext : JsonSerializerContext;
