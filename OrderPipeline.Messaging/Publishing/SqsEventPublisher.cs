using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Amazon.SQS;
using Amazon.SQS.Model;
using OrderPipeline.Messaging.Sqs;
using OrderPipeline.Messaging.Telemetry;

namespace OrderPipeline.Messaging.Publishing;

/// <summary>Sends events to SQS with the W3C trace context in message attributes, so consumers continue the trace.</summary>
public sealed class SqsEventPublisher(IAmazonSQS sqs, QueueUrlResolver queues, MessagingTelemetry telemetry) : IEventPublisher
{
    public Task PublishAsync<TEvent>(string queue, string eventType, TEvent @event, JsonTypeInfo<TEvent> jsonTypeInfo, CancellationToken cancellationToken)
    {
        var current = Activity.Current;
        var message = new OutgoingMessage(queue, eventType, JsonSerializer.Serialize(@event, jsonTypeInfo), current?.Id, current?.TraceStateString);
        return SendAsync(message, cancellationToken);
    }

    public async Task SendAsync(OutgoingMessage message, CancellationToken cancellationToken)
    {
        var queueName = QueueUrlResolver.DisplayName(message.Queue);
        ActivityContext.TryParse(message.TraceParent, message.TraceState, isRemote: false, out var parent);
        using var activity = telemetry.StartPublish(queueName, parent);
        var started = Stopwatch.GetTimestamp();
        try
        {
            var queueUrl = await queues.GetUrlAsync(message.Queue, cancellationToken).ConfigureAwait(false);
            var request = new SendMessageRequest(queueUrl, message.Body)
            {
                MessageAttributes = new Dictionary<string, MessageAttributeValue>
                {
                    [MessagingTelemetry.EventTypeAttribute] = Text(message.EventType),
                },
            };
            // The consumer's span continues from the publish span (or from the producer's context when sampling dropped it).
            var traceParent = activity?.Id ?? message.TraceParent;
            var traceState = activity is null ? message.TraceState : activity.TraceStateString;
            if (traceParent is not null)
            {
                request.MessageAttributes[MessagingTelemetry.TraceParentAttribute] = Text(traceParent);
            }
            if (!string.IsNullOrEmpty(traceState))
            {
                request.MessageAttributes[MessagingTelemetry.TraceStateAttribute] = Text(traceState);
            }

            var response = await sqs.SendMessageAsync(request, cancellationToken).ConfigureAwait(false);
            activity?.SetTag("messaging.message.id", response.MessageId);
            telemetry.RecordPublished(queueName, Stopwatch.GetElapsedTime(started), errorType: null);
        }
        catch (Exception ex)
        {
            activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
            activity?.AddException(ex);
            telemetry.RecordPublished(queueName, Stopwatch.GetElapsedTime(started), ex.GetType().Name);
            throw;
        }
    }

    private static MessageAttributeValue Text(string value) => new() { DataType = "String", StringValue = value };
}
