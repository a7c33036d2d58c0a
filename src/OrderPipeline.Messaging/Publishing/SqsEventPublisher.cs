using System.Diagnostics;
using System.Globalization;
using Amazon.SQS;
using Amazon.SQS.Model;
using OrderPipeline.Messaging.Sqs;
using OrderPipeline.Messaging.Telemetry;

namespace OrderPipeline.Messaging.Publishing;

/// <summary>Sends events to SQS with the W3C trace context in message attributes, so consumers continue the trace.</summary>
public sealed class SqsEventPublisher(IAmazonSQS sqs, QueueUrlResolver queues, MessagingTelemetry telemetry) : IEventPublisher
{
    public async Task<IReadOnlyList<SendResult>> SendBatchAsync(IReadOnlyList<OutgoingMessage> messages, CancellationToken cancellationToken)
    {
        var results = new SendResult[messages.Count];
        foreach (var batch in SendBatches.Plan(messages))
        {
            await SendOneBatchAsync(messages, batch, results, cancellationToken).ConfigureAwait(false);
        }
        return results;
    }

    /// <summary>One SendMessageBatch call. Each message gets its own publish span, child of its own producer's trace.</summary>
    private async Task SendOneBatchAsync(
        IReadOnlyList<OutgoingMessage> messages, IReadOnlyList<int> batch, SendResult[] results, CancellationToken cancellationToken)
    {
        var queueName = QueueUrlResolver.DisplayName(messages[batch[0]].Queue);
        var activities = batch.Select(i => StartPublish(queueName, messages[i])).ToArray();
        var started = Stopwatch.GetTimestamp();
        try
        {
            var queueUrl = await queues.GetUrlAsync(messages[batch[0]].Queue, cancellationToken).ConfigureAwait(false);
            // Entry ids only need to be unique within the call: the position in the batch.
            var request = new SendMessageBatchRequest(queueUrl, [.. batch.Select((index, entry) => new SendMessageBatchRequestEntry(
                entry.ToString(CultureInfo.InvariantCulture), messages[index].Body) { MessageAttributes = Attributes(messages[index], activities[entry]) })]);
            var response = await sqs.SendMessageBatchAsync(request, cancellationToken).ConfigureAwait(false);

            foreach (var ok in response.Successful ?? [])
            {
                var entry = int.Parse(ok.Id, CultureInfo.InvariantCulture);
                activities[entry]?.SetTag("messaging.message.id", ok.MessageId);
                results[batch[entry]] = new SendResult(messages[batch[entry]], null);
            }
            foreach (var failed in response.Failed ?? [])
            {
                var entry = int.Parse(failed.Id, CultureInfo.InvariantCulture);
                var error = $"{failed.Code}: {failed.Message}";
                Fail(activities[entry], error, null);
                results[batch[entry]] = new SendResult(messages[batch[entry]], error);
            }
            for (var entry = 0; entry < batch.Count; entry++)
            {
                // SQS answers every entry; should one be missing, nothing proves it was not stored.
                results[batch[entry]] ??= new SendResult(messages[batch[entry]], "no result for this entry in SQS's answer", MayHaveBeenStored: true);
            }
            telemetry.RecordPublished(queueName, Stopwatch.GetElapsedTime(started), response.Failed is { Count: > 0 } ? "PartialBatchFailure" : null);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            // The whole call failed (queue missing, SQS unreachable, the answer lost): every message of this batch is
            // unsent, the other batches are still tried. Whether SQS may have stored them depends on how it failed.
            telemetry.RecordPublished(queueName, Stopwatch.GetElapsedTime(started), ex.GetType().Name);
            var mayHaveBeenStored = SendFailure.MayHaveBeenStored(ex);
            for (var entry = 0; entry < batch.Count; entry++)
            {
                Fail(activities[entry], ex.Message, ex);
                results[batch[entry]] = new SendResult(messages[batch[entry]], $"{ex.GetType().Name}: {ex.Message}", mayHaveBeenStored);
            }
        }
        catch (OperationCanceledException ex)
        {
            // Cancelled (a caller's attempt timeout, a shutdown): thrown on, but the spans and the metric say so
            // rather than ending as if nothing had happened.
            telemetry.RecordPublished(queueName, Stopwatch.GetElapsedTime(started), ex.GetType().Name);
            foreach (var activity in activities)
            {
                Fail(activity, ex.Message, ex);
            }
            throw;
        }
        finally
        {
            foreach (var activity in activities)
            {
                activity?.Dispose();
            }
        }
    }

    private Activity? StartPublish(string queueName, OutgoingMessage message)
    {
        ActivityContext.TryParse(message.TraceParent, message.TraceState, isRemote: false, out var parent);
        return telemetry.StartPublish(queueName, parent);
    }

    /// <summary>The event type and the trace context the consumer continues from.</summary>
    private static Dictionary<string, MessageAttributeValue> Attributes(OutgoingMessage message, Activity? publish)
    {
        var attributes = new Dictionary<string, MessageAttributeValue>
        {
            [MessagingTelemetry.EventTypeAttribute] = Text(message.EventType),
        };
        // The consumer's span continues from the publish span (or from the producer's context when sampling dropped it).
        var traceParent = publish?.Id ?? message.TraceParent;
        var traceState = publish is null ? message.TraceState : publish.TraceStateString;
        if (traceParent is not null)
        {
            attributes[MessagingTelemetry.TraceParentAttribute] = Text(traceParent);
        }
        if (!string.IsNullOrEmpty(traceState))
        {
            attributes[MessagingTelemetry.TraceStateAttribute] = Text(traceState);
        }
        return attributes;
    }

    private static void Fail(Activity? activity, string description, Exception? exception)
    {
        activity?.SetStatus(ActivityStatusCode.Error, description);
        if (exception is not null)
        {
            activity?.AddException(exception);
        }
    }

    private static MessageAttributeValue Text(string value) => new() { DataType = "String", StringValue = value };
}
