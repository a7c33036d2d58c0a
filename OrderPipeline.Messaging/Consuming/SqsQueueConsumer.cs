using Amazon.SQS;
using Amazon.SQS.Model;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrderPipeline.Messaging.Sqs;

namespace OrderPipeline.Messaging.Consuming;

/// <summary>
/// Long-polls one queue and hands each batch to the <see cref="MessageBatchProcessor"/>.
/// This is where messages are acknowledged: only the ones the handler finished are deleted;
/// failed ones come back after a short delay and, after the queue's maxReceiveCount, go to its DLQ.
/// </summary>
public sealed partial class SqsQueueConsumer(
    IAmazonSQS sqs,
    QueueUrlResolver resolver,
    MessageBatchProcessor processor,
    ConsumedQueue queue,
    IOptions<SqsConsumerOptions> options,
    ILogger<SqsQueueConsumer> logger,
    HealthCheckService? health = null) : BackgroundService
{
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (!settings.Enabled)
        {
            LogDisabled(logger, queue.NameOrUrl);
            return Task.CompletedTask;
        }
        return Task.WhenAll(Enumerable.Range(0, Math.Max(1, settings.Pollers)).Select(_ => PollAsync(settings, stoppingToken)));
    }

    private async Task PollAsync(SqsConsumerOptions settings, CancellationToken stoppingToken)
    {
        var queueName = QueueUrlResolver.DisplayName(queue.NameOrUrl);
        var consecutiveErrors = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var queueUrl = await resolver.GetUrlAsync(queue.NameOrUrl, stoppingToken).ConfigureAwait(false);
                var response = await sqs.ReceiveMessageAsync(new ReceiveMessageRequest
                {
                    QueueUrl = queueUrl,
                    MaxNumberOfMessages = Math.Clamp(settings.MaxMessages, 1, 10),
                    WaitTimeSeconds = Math.Clamp(settings.WaitTimeSeconds, 0, 20),
                    MessageAttributeNames = ["All"],
                    MessageSystemAttributeNames = ["ApproximateReceiveCount"],
                }, stoppingToken).ConfigureAwait(false);
                consecutiveErrors = 0;
                if (response.Messages is not { Count: > 0 } received)
                {
                    continue;
                }

                // A batch that started is finished even during shutdown, so work done is also acknowledged.
                var batch = received.Select(ToInbound).ToList();
                var failed = (await processor.ProcessAsync(queueName, batch, CancellationToken.None).ConfigureAwait(false)).ToHashSet(StringComparer.Ordinal);
                await AcknowledgeAsync(queueUrl, received.Where(m => !failed.Contains(m.MessageId)).ToList()).ConfigureAwait(false);
                await DelayRetriesAsync(queueUrl, batch, received.Where(m => failed.Contains(m.MessageId)).ToList(), settings).ConfigureAwait(false);
                if (failed.Count == batch.Count)
                {
                    await WaitUntilDependenciesHealthyAsync(queueName, stoppingToken).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                // The queue is unreachable or refused us: keep trying, more slowly, without stopping the service.
                consecutiveErrors++;
                var backoff = TimeSpan.FromSeconds(Math.Min(MaxBackoff.TotalSeconds, Math.Pow(2, consecutiveErrors - 1)));
                LogReceiveFailed(logger, ex, queueName, backoff.TotalSeconds);
                try
                {
                    await Task.Delay(backoff, stoppingToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }
    }

    /// <summary>
    /// A batch that failed whole most likely met an outage (the database is down). Receiving more would only
    /// spend every message's receives and push them to the DLQ, so wait until the service's checks pass.
    /// </summary>
    private async Task WaitUntilDependenciesHealthyAsync(string queueName, CancellationToken stoppingToken)
    {
        if (health is null)
        {
            return;
        }
        var delay = TimeSpan.FromMilliseconds(500);
        while (!stoppingToken.IsCancellationRequested)
        {
            var report = await health.CheckHealthAsync(check => check.Tags.Contains("ready"), stoppingToken).ConfigureAwait(false);
            if (report.Status == HealthStatus.Healthy)
            {
                return;
            }
            LogPaused(logger, queueName, string.Join(", ", report.Entries.Where(e => e.Value.Status != HealthStatus.Healthy).Select(e => e.Key)), delay.TotalSeconds);
            await Task.Delay(delay, stoppingToken).ConfigureAwait(false);
            delay = TimeSpan.FromSeconds(Math.Min(MaxBackoff.TotalSeconds, delay.TotalSeconds * 2));
        }
    }

    private async Task AcknowledgeAsync(string queueUrl, IReadOnlyList<Message> handled)
    {
        if (handled.Count == 0)
        {
            return;
        }
        var entries = handled.Select((m, i) => new DeleteMessageBatchRequestEntry(i.ToString(System.Globalization.CultureInfo.InvariantCulture), m.ReceiptHandle)).ToList();
        var response = await sqs.DeleteMessageBatchAsync(queueUrl, entries).ConfigureAwait(false);
        foreach (var failure in response.Failed ?? [])
        {
            // Not deleted means delivered again; the handlers are idempotent, so that is safe.
            LogDeleteFailed(logger, failure.Id, failure.Message);
        }
    }

    private async Task DelayRetriesAsync(string queueUrl, IReadOnlyList<InboundMessage> batch, IReadOnlyList<Message> failed, SqsConsumerOptions settings)
    {
        if (failed.Count == 0 || settings.RetryDelaySeconds <= 0)
        {
            return;
        }
        var receiveCounts = batch.ToDictionary(m => m.MessageId, m => m.ReceiveCount, StringComparer.Ordinal);
        var entries = failed.Select((m, i) => new ChangeMessageVisibilityBatchRequestEntry(
            i.ToString(System.Globalization.CultureInfo.InvariantCulture), m.ReceiptHandle)
        {
            VisibilityTimeout = Math.Min(300, settings.RetryDelaySeconds * Math.Max(1, receiveCounts[m.MessageId])),
        }).ToList();
        try
        {
            await sqs.ChangeMessageVisibilityBatchAsync(queueUrl, entries).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // Harmless: the message reappears after the queue's own visibility timeout instead.
            LogRetryDelayFailed(logger, ex);
        }
    }

    private static InboundMessage ToInbound(Message message)
    {
        var attributes = (message.MessageAttributes ?? [])
            .Where(a => a.Value.StringValue is not null)
            .ToDictionary(a => a.Key, a => a.Value.StringValue, StringComparer.Ordinal);
        return new InboundMessage(message.MessageId, message.Body, attributes, InboundMessage.ReceiveCountOf(message.Attributes));
    }

    [LoggerMessage(LogLevel.Information, "The SQS consumer of {Queue} is disabled by configuration")]
    private static partial void LogDisabled(ILogger logger, string queue);

    [LoggerMessage(LogLevel.Warning, "Receiving from {Queue} failed; retrying in {BackoffSeconds} s")]
    private static partial void LogReceiveFailed(ILogger logger, Exception exception, string queue, double backoffSeconds);

    [LoggerMessage(LogLevel.Warning, "Consuming {Queue} is paused until {Unhealthy} recover; checking again in {DelaySeconds} s")]
    private static partial void LogPaused(ILogger logger, string queue, string unhealthy, double delaySeconds);

    [LoggerMessage(LogLevel.Warning, "Deleting handled message entry {EntryId} failed ({Reason}); it will be delivered again")]
    private static partial void LogDeleteFailed(ILogger logger, string entryId, string reason);

    [LoggerMessage(LogLevel.Warning, "Shortening the visibility of failed messages failed")]
    private static partial void LogRetryDelayFailed(ILogger logger, Exception exception);
}

/// <summary>The queue a service consumes (name or URL).</summary>
public sealed record ConsumedQueue(string NameOrUrl);
