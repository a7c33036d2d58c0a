using Amazon.SQS;
using Amazon.SQS.Model;
using Microsoft.Extensions.Logging;

namespace OrderPipeline.AppHost.Sqs;

/// <summary>
/// Creates an emulator's queues, dead-letter queues first so that their ARNs can go into the redrive policies.
/// Idempotent: an existing queue keeps its messages and gets its attributes set again.
/// </summary>
internal sealed class SqsQueueProvisioner(ResourceNotificationService notifications, ResourceLoggerService loggers)
{
    private const string FourteenDays = "1209600";

    public async Task ProvisionAsync(SqsEmulatorResource emulator, CancellationToken cancellationToken)
    {
        var logger = loggers.GetLogger(emulator);
        using var sqs = emulator.CreateClient();
        foreach (var queue in emulator.Queues.OrderBy(q => q.DeadLetterQueue is null ? 0 : 1))
        {
            var attributes = new Dictionary<string, string>
            {
                ["VisibilityTimeout"] = queue.VisibilityTimeoutSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
            };
            if (queue.SourceQueue is not null)
            {
                attributes["MessageRetentionPeriod"] = FourteenDays; // time for a person to look
            }
            if (queue.DeadLetterQueue is { } deadLetterQueue)
            {
                var dlqUrl = (await sqs.GetQueueUrlAsync(deadLetterQueue.QueueName, cancellationToken).ConfigureAwait(false)).QueueUrl;
                var dlqArn = (await sqs.GetQueueAttributesAsync(dlqUrl, ["QueueArn"], cancellationToken).ConfigureAwait(false)).QueueARN;
                attributes["RedrivePolicy"] = $$"""{"deadLetterTargetArn":"{{dlqArn}}","maxReceiveCount":"{{queue.MaxReceiveCount}}"}""";
            }
            var url = await EnsureQueueAsync(sqs, queue.QueueName, attributes, cancellationToken).ConfigureAwait(false);
            await notifications.PublishUpdateAsync(queue, s => s with
            {
                State = KnownResourceStates.Running,
                StartTimeStamp = DateTime.UtcNow,
                Properties = s.Properties
                    .With("queue.url", "Queue URL", url)
                    .With("queue.redrive", "Dead-letter queue",
                        queue.DeadLetterQueue is { } dlq ? $"{dlq.QueueName} after {queue.MaxReceiveCount} receives" : "none"),
            }).ConfigureAwait(false);
        }
        logger.LogInformation("Queues ready: {Queues}", string.Join(", ", emulator.Queues.Select(q => q.QueueName)));
    }

    private static async Task<string> EnsureQueueAsync(
        IAmazonSQS sqs, string queueName, Dictionary<string, string> attributes, CancellationToken cancellationToken)
    {
        try
        {
            return (await sqs.CreateQueueAsync(new CreateQueueRequest(queueName) { Attributes = attributes }, cancellationToken)
                .ConfigureAwait(false)).QueueUrl;
        }
        catch (QueueNameExistsException)
        {
            var url = (await sqs.GetQueueUrlAsync(queueName, cancellationToken).ConfigureAwait(false)).QueueUrl;
            await sqs.SetQueueAttributesAsync(url, attributes, cancellationToken).ConfigureAwait(false);
            return url;
        }
    }
}
