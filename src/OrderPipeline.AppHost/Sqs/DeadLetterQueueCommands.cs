using Amazon.SQS;
using Amazon.SQS.Model;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace OrderPipeline.AppHost.Sqs;

/// <summary>
/// A dead-letter queue's dashboard commands: send every parked message back to its source queue (redrive), or
/// delete them all (purge). The emulator has no move tasks, so a redrive is receive, send, delete, a batch at a
/// time; a message is deleted only after the source queue took it, so a failed redrive loses nothing.
/// </summary>
internal static class DeadLetterQueueCommands
{
    public static void AddTo(IResourceBuilder<SqsQueueResource> deadLetterQueue)
    {
        var queue = deadLetterQueue.Resource;
        deadLetterQueue
            .WithCommand("redrive", "Redrive to source queue", context => RedriveAsync(queue, context), new CommandOptions
            {
                Description = $"Moves every message in {queue.QueueName} back to {queue.SourceQueue?.QueueName}.",
                ConfirmationMessage = $"Send every message in {queue.QueueName} back to {queue.SourceQueue?.QueueName} to be processed again?",
                IconName = "ArrowRedo",
                IsHighlighted = true,
                UpdateState = WhenRunning,
            })
            .WithCommand("purge", "Purge", context => PurgeAsync(queue, context), new CommandOptions
            {
                Description = $"Deletes every message in {queue.QueueName}.",
                ConfirmationMessage = $"Delete every message in {queue.QueueName}? They cannot be brought back.",
                IconName = "Delete",
                UpdateState = WhenRunning,
            });
    }

    private static ResourceCommandState WhenRunning(UpdateCommandStateContext context) =>
        context.ResourceSnapshot.State?.Text == KnownResourceStates.Running ? ResourceCommandState.Enabled : ResourceCommandState.Disabled;

    private static async Task<ExecuteCommandResult> RedriveAsync(SqsQueueResource deadLetterQueue, ExecuteCommandContext context)
    {
        var source = deadLetterQueue.SourceQueue ?? throw new InvalidOperationException($"{deadLetterQueue.QueueName} is nobody's dead-letter queue.");
        var cancellationToken = context.CancellationToken;
        using var sqs = deadLetterQueue.Parent.CreateClient();
        var from = (await sqs.GetQueueUrlAsync(deadLetterQueue.QueueName, cancellationToken).ConfigureAwait(false)).QueueUrl;
        var to = (await sqs.GetQueueUrlAsync(source.QueueName, cancellationToken).ConfigureAwait(false)).QueueUrl;
        var moved = 0;
        while (true)
        {
            var received = await sqs.ReceiveMessageAsync(new ReceiveMessageRequest(from)
            {
                MaxNumberOfMessages = 10,
                VisibilityTimeout = 30,
                WaitTimeSeconds = 0,
                MessageAttributeNames = ["All"],
            }, cancellationToken).ConfigureAwait(false);
            if (received.Messages is not { Count: > 0 } messages)
            {
                break;
            }
            var sent = await sqs.SendMessageBatchAsync(new SendMessageBatchRequest(to, [.. messages.Select((m, i) => new SendMessageBatchRequestEntry(i.ToString(System.Globalization.CultureInfo.InvariantCulture), m.Body)
            {
                MessageAttributes = m.MessageAttributes,
            })]), cancellationToken).ConfigureAwait(false);
            var accepted = (sent.Successful ?? []).Select(s => messages[int.Parse(s.Id, System.Globalization.CultureInfo.InvariantCulture)]).ToList();
            if (accepted.Count > 0)
            {
                await sqs.DeleteMessageBatchAsync(new DeleteMessageBatchRequest(from, [.. accepted.Select((m, i) =>
                    new DeleteMessageBatchRequestEntry(i.ToString(System.Globalization.CultureInfo.InvariantCulture), m.ReceiptHandle))]), cancellationToken).ConfigureAwait(false);
                moved += accepted.Count;
            }
            if (sent.Failed is { Count: > 0 } failed)
            {
                return CommandResults.Failure($"Moved {moved}; {source.QueueName} refused {failed.Count}: {failed[0].Message}. They stay in {deadLetterQueue.QueueName}.");
            }
        }
        context.Services.GetRequiredService<ResourceLoggerService>().GetLogger(deadLetterQueue)
            .LogInformation("Redrove {Count} messages from {DeadLetterQueue} to {Queue}", moved, deadLetterQueue.QueueName, source.QueueName);
        return CommandResults.Success($"Moved {moved} message(s) to {source.QueueName}.");
    }

    private static async Task<ExecuteCommandResult> PurgeAsync(SqsQueueResource queue, ExecuteCommandContext context)
    {
        using var sqs = queue.Parent.CreateClient();
        var url = (await sqs.GetQueueUrlAsync(queue.QueueName, context.CancellationToken).ConfigureAwait(false)).QueueUrl;
        await sqs.PurgeQueueAsync(url, context.CancellationToken).ConfigureAwait(false);
        context.Services.GetRequiredService<ResourceLoggerService>().GetLogger(queue).LogWarning("Purged {Queue}", queue.QueueName);
        return CommandResults.Success($"Purged {queue.QueueName}.");
    }
}
