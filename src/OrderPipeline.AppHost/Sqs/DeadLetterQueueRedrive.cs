using System.Globalization;
using Amazon.SQS;
using Amazon.SQS.Model;

namespace OrderPipeline.AppHost.Sqs;

/// <summary>
/// Sends a dead-letter queue's messages back to its source queue. The emulator has no move tasks, so a redrive is
/// receive, send, delete, a batch at a time; a message is deleted only after the source queue took it, so a failed
/// redrive loses nothing. It moves at most the messages the queue held when it began: one that fails again and comes
/// back during the redrive waits for the next one, instead of going round for as long as the consumer fails it.
/// </summary>
internal static class DeadLetterQueueRedrive
{
    /// <summary>What a redrive did: the messages moved, and those the source queue refused (they stay in the dead-letter queue).</summary>
    public sealed record Outcome(int Moved, int Refused, string? RefusalMessage);

    public static async Task<Outcome> RunAsync(IAmazonSQS sqs, string deadLetterQueueUrl, string sourceQueueUrl, CancellationToken cancellationToken)
    {
        // In flight counts too: the emulator reports a message whose visibility timeout ran out (one an earlier,
        // failed redrive received) as in flight until the queue's next receive.
        var counts = await sqs.GetQueueAttributesAsync(new GetQueueAttributesRequest(deadLetterQueueUrl,
            ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]), cancellationToken).ConfigureAwait(false);
        var remaining = counts.ApproximateNumberOfMessages + counts.ApproximateNumberOfMessagesNotVisible;
        var moved = 0;
        while (remaining > 0)
        {
            var received = await sqs.ReceiveMessageAsync(new ReceiveMessageRequest(deadLetterQueueUrl)
            {
                MaxNumberOfMessages = Math.Min(10, remaining),
                VisibilityTimeout = 30,
                WaitTimeSeconds = 0,
                MessageAttributeNames = ["All"],
            }, cancellationToken).ConfigureAwait(false);
            if (received.Messages is not { Count: > 0 } messages)
            {
                break;
            }
            remaining -= messages.Count;
            var sent = await sqs.SendMessageBatchAsync(new SendMessageBatchRequest(sourceQueueUrl,
                [.. messages.Select((m, i) => new SendMessageBatchRequestEntry(i.ToString(CultureInfo.InvariantCulture), m.Body)
                {
                    MessageAttributes = m.MessageAttributes,
                })]), cancellationToken).ConfigureAwait(false);
            var accepted = (sent.Successful ?? []).Select(s => messages[int.Parse(s.Id, CultureInfo.InvariantCulture)]).ToList();
            if (accepted.Count > 0)
            {
                await sqs.DeleteMessageBatchAsync(new DeleteMessageBatchRequest(deadLetterQueueUrl, [.. accepted.Select((m, i) =>
                    new DeleteMessageBatchRequestEntry(i.ToString(CultureInfo.InvariantCulture), m.ReceiptHandle))]), cancellationToken).ConfigureAwait(false);
                moved += accepted.Count;
            }
            if (sent.Failed is { Count: > 0 } failed)
            {
                return new Outcome(moved, failed.Count, failed[0].Message);
            }
        }
        return new Outcome(moved, 0, null);
    }
}
