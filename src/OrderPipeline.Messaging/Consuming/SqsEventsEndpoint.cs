using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using OrderPipeline.Messaging.Sqs;

namespace OrderPipeline.Messaging.Consuming;

public static class SqsEventsEndpoint
{
    public const string Path = "/events";

    /// <summary>
    /// Maps POST /events, the way in on AWS Lambda: the raw SQS event in, the ids of the failed messages out,
    /// so Lambda deletes exactly the messages that were handled. The response is always JSON: the adapter
    /// treats anything else as an empty result, and Lambda would then delete the whole batch. A scheduled invocation
    /// (<c>{"orderpipeline":"NAME"}</c>) runs the <see cref="IScheduledTask"/> of that name instead.
    /// </summary>
    public static IEndpointConventionBuilder MapSqsEvents(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapPost(Path, async (HttpRequest request, MessageBatchProcessor processor, OutageRequeue requeue, ConsumedQueue consumed,
            IEnumerable<IScheduledTask> tasks, CancellationToken cancellationToken) =>
        {
            JsonDocument? document;
            try
            {
                document = await JsonDocument.ParseAsync(request.Body, cancellationToken: cancellationToken);
            }
            catch (JsonException)
            {
                document = null;
            }
            using var parsed = document;
            if (parsed?.RootElement is { ValueKind: JsonValueKind.Object } root
                && root.TryGetProperty(ScheduledTaskProperty, out var name) && name.ValueKind == JsonValueKind.String)
            {
                return await RunScheduledAsync(tasks, name.GetString()!, cancellationToken);
            }

            LambdaSqsEvent? sqsEvent;
            try
            {
                sqsEvent = parsed?.RootElement.Deserialize(LambdaJsonContext.Default.LambdaSqsEvent);
            }
            catch (JsonException)
            {
                sqsEvent = null;
            }
            if (sqsEvent is null || sqsEvent.Records?.Any(r => string.IsNullOrEmpty(r.MessageId)) == true)
            {
                // Not an SQS event (or a record that cannot be named in a failure list): fail the whole
                // invocation so nothing is deleted.
                return Results.Json(new LambdaBatchResponse([]), LambdaJsonContext.Default.LambdaBatchResponse,
                    statusCode: StatusCodes.Status500InternalServerError);
            }

            var failures = new List<LambdaBatchItemFailure>();
            foreach (var group in (sqsEvent.Records ?? []).GroupBy(r => r.EventSourceArn ?? "unknown"))
            {
                var batch = group.Select(ToInbound).ToList();
                foreach (var (message, outcome) in await processor.ProcessUntilOutageAsync(QueueUrlResolver.DisplayName(group.Key), batch, cancellationToken))
                {
                    // An outage's message goes back as a delayed copy rather than spending a receive (see OutageRequeue);
                    // the function serves one queue, the one it consumes.
                    var settled = outcome.Handled
                        || (outcome.IsOutage && requeue.MayRequeue(message) && await requeue.TryRequeueAsync(consumed.NameOrUrl, message, cancellationToken));
                    if (!settled)
                    {
                        failures.Add(new LambdaBatchItemFailure(message.MessageId));
                    }
                }
            }
            return Results.Json(new LambdaBatchResponse(failures), LambdaJsonContext.Default.LambdaBatchResponse);
        }).ExcludeFromDescription();

    /// <summary>The property of a scheduled invocation's payload that names its task, e.g. <c>{"orderpipeline":"relay-outbox"}</c>.</summary>
    public const string ScheduledTaskProperty = "orderpipeline";

    /// <summary>Runs the named task once; an unknown name or a failed run is a 500, which fails the invocation (and shows in its metrics).</summary>
    private static async Task<IResult> RunScheduledAsync(IEnumerable<IScheduledTask> tasks, string name, CancellationToken cancellationToken)
    {
        var task = tasks.FirstOrDefault(t => string.Equals(t.Name, name, StringComparison.Ordinal));
        if (task is null)
        {
            return Results.Json(new ScheduledTaskResponse(name, "no such task"), LambdaJsonContext.Default.ScheduledTaskResponse,
                statusCode: StatusCodes.Status500InternalServerError);
        }
        var result = await task.RunAsync(cancellationToken);
        return Results.Json(new ScheduledTaskResponse(name, result), LambdaJsonContext.Default.ScheduledTaskResponse);
    }

    private static InboundMessage ToInbound(LambdaSqsRecord record)
    {
        var attributes = (record.MessageAttributes ?? new Dictionary<string, LambdaSqsMessageAttribute>())
            .Where(a => a.Value.StringValue is not null)
            .ToDictionary(a => a.Key, a => a.Value.StringValue!, StringComparer.Ordinal);
        return new InboundMessage(record.MessageId, record.Body ?? "", attributes, InboundMessage.ReceiveCountOf(record.Attributes));
    }
}
