using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace OrderPipeline.AppHost.Sqs;

/// <summary>
/// A dead-letter queue's dashboard commands: send every parked message back to its source queue (redrive, see
/// <see cref="DeadLetterQueueRedrive"/>), or delete them all (purge).
/// </summary>
internal static class DeadLetterQueueCommands
{
    public static void AddTo(IResourceBuilder<SqsQueueResource> deadLetterQueue)
    {
        var queue = deadLetterQueue.Resource;
        deadLetterQueue
            .WithCommand("redrive", "Redrive to source queue", context => RedriveAsync(queue, context), new CommandOptions
            {
                Description = $"Moves the messages in {queue.QueueName} back to {queue.SourceQueue?.QueueName}; "
                    + "one that comes back during the redrive stays for the next.",
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
        var outcome = await DeadLetterQueueRedrive.RunAsync(sqs, from, to, cancellationToken).ConfigureAwait(false);
        if (outcome.Refused > 0)
        {
            return CommandResults.Failure($"Moved {outcome.Moved}; {source.QueueName} refused {outcome.Refused}: {outcome.RefusalMessage}. "
                + $"They stay in {deadLetterQueue.QueueName}.");
        }
        context.Services.GetRequiredService<ResourceLoggerService>().GetLogger(deadLetterQueue)
            .LogInformation("Redrove {Count} messages from {DeadLetterQueue} to {Queue}", outcome.Moved, deadLetterQueue.QueueName, source.QueueName);
        return CommandResults.Success($"Moved {outcome.Moved} message(s) to {source.QueueName}.");
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
