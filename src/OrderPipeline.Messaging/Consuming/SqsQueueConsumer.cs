using Amazon.SQS;
using Amazon.SQS.Model;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrderPipeline.Messaging.Outages;
using OrderPipeline.Messaging.Sqs;

namespace OrderPipeline.Messaging.Consuming;

/// <summary>
/// Long-polls one queue and settles each message of a received batch on its own, though a handler that can may handle
/// them together (<see cref="IMessageBatchHandler"/>). This is where messages are acknowledged:
/// <list type="bullet">
/// <item>handled: deleted as soon as its handling ends (the handled ones of a batch in one call);</item>
/// <item>failed for its own reason: back after <see cref="SqsConsumerOptions.RetryDelaySeconds"/> × its receive count,
/// to the DLQ after the queue's maxReceiveCount;</item>
/// <item>failed because of an outage: the process's <see cref="OutageBreaker"/> opens (no poller of any queue receives),
/// and the message is held, its visibility extended, and handled again once the breaker closes, so an outage burns
/// no receive. Held at most <see cref="OutageOptions.MaxHold"/>, and given back at once on shutdown.</item>
/// </list>
/// Every message in flight has its visibility extended before it expires (<see cref="VisibilityHeartbeat"/>).
/// </summary>
public sealed partial class SqsQueueConsumer(
    IAmazonSQS sqs,
    QueueUrlResolver resolver,
    MessageBatchProcessor processor,
    ConsumedQueue queue,
    OutageBreaker breaker,
    IOptions<SqsConsumerOptions> options,
    IOptions<OutageOptions> outageOptions,
    ILogger<SqsQueueConsumer> logger,
    TimeProvider? clock = null) : BackgroundService
{
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);

    private readonly TimeProvider _clock = clock ?? TimeProvider.System;
    private readonly string _queueName = QueueUrlResolver.DisplayName(queue.NameOrUrl);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (!settings.Enabled)
        {
            LogDisabled(logger, queue.NameOrUrl);
            return;
        }
        var (queueUrl, visibility) = await ConnectAsync(settings, stoppingToken).ConfigureAwait(false);
        if (queueUrl is null)
        {
            return;
        }
        var heartbeat = new VisibilityHeartbeat(sqs, queueUrl, visibility, _clock, logger);
        var beating = heartbeat.RunAsync(stoppingToken);
        await Task.WhenAll(Enumerable.Range(0, Math.Max(1, settings.Pollers))
            .Select(_ => PollAsync(queueUrl, heartbeat, settings, stoppingToken))).ConfigureAwait(false);
        await beating.ConfigureAwait(false);
    }

    /// <summary>The queue's URL and the visibility timeout to keep messages within; retried until SQS answers.</summary>
    private async Task<(string? Url, TimeSpan Visibility)> ConnectAsync(SqsConsumerOptions settings, CancellationToken stoppingToken)
    {
        for (var attempt = 1; !stoppingToken.IsCancellationRequested; attempt++)
        {
            try
            {
                var url = await resolver.GetUrlAsync(queue.NameOrUrl, stoppingToken).ConfigureAwait(false);
                var attributes = await sqs.GetQueueAttributesAsync(url, ["VisibilityTimeout"], stoppingToken).ConfigureAwait(false);
                var seconds = attributes.VisibilityTimeout is { } actual and > 0 ? actual : settings.VisibilityTimeoutSeconds;
                if (settings.VisibilityTimeoutSeconds > 0 && seconds != settings.VisibilityTimeoutSeconds)
                {
                    LogVisibilityMismatch(logger, _queueName, seconds, settings.VisibilityTimeoutSeconds);
                }
                // The smaller one: extending early is harmless, late is a second delivery.
                var visibility = TimeSpan.FromSeconds(
                    Math.Max(1, settings.VisibilityTimeoutSeconds > 0 ? Math.Min(seconds, settings.VisibilityTimeoutSeconds) : seconds));
                return (url, visibility);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                if (!await BackOffAsync(ex, attempt, stoppingToken).ConfigureAwait(false))
                {
                    break;
                }
            }
        }
        return (null, TimeSpan.Zero);
    }

    private async Task PollAsync(string queueUrl, VisibilityHeartbeat heartbeat, SqsConsumerOptions settings, CancellationToken stoppingToken)
    {
        var consecutiveErrors = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                // Nothing is received while the process is in an outage, on any queue.
                await breaker.WaitUntilClosedAsync(stoppingToken).ConfigureAwait(false);
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
                foreach (var message in received)
                {
                    heartbeat.Track(message);
                }
                await SettleAsync(queueUrl, heartbeat, received, settings, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                if (!await BackOffAsync(ex, ++consecutiveErrors, stoppingToken).ConfigureAwait(false))
                {
                    break;
                }
            }
        }
    }

    /// <summary>
    /// Handles a received batch (together when the handler can), deletes the handled messages in one call, then settles
    /// the others one by one. A message that started is finished even during shutdown, so work done is also
    /// acknowledged; only messages held for an outage listen to the stopping token (they are given back).
    /// </summary>
    private async Task SettleAsync(
        string queueUrl, VisibilityHeartbeat heartbeat, IReadOnlyList<Message> received, SqsConsumerOptions settings,
        CancellationToken stoppingToken)
    {
        var inbound = received.Select(ToInbound).ToArray();
        // Received before the breaker opened: held until it closes, not tried against a dependency known to be down.
        // A handler that takes messages one at a time has each deleted as soon as it is done, not when its batch is.
        var first = breaker.IsOpen || !processor.HandlesTogether
            ? new MessageOutcome?[received.Count]
            : await processor.HandleBatchAsync(_queueName, inbound, CancellationToken.None).ConfigureAwait(false);

        var handled = received.Where((_, i) => first[i] is { Handled: true }).ToList();
        foreach (var message in handled)
        {
            heartbeat.Untrack(message);
        }
        await DeleteAsync(queueUrl, handled).ConfigureAwait(false);

        var parallelism = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, settings.MaxConcurrency) };
        await Parallel.ForEachAsync(Enumerable.Range(0, received.Count).Where(i => first[i] is not { Handled: true }), parallelism,
            (i, _) => new ValueTask(SettleAsync(queueUrl, heartbeat, received[i], inbound[i], first[i], settings, stoppingToken))).ConfigureAwait(false);
    }

    /// <param name="outcome">How its first attempt ended; null when it is still to be tried.</param>
    private async Task SettleAsync(
        string queueUrl, VisibilityHeartbeat heartbeat, Message message, InboundMessage inbound, MessageOutcome? outcome,
        SqsConsumerOptions settings, CancellationToken stoppingToken)
    {
        long? heldSince = null;
        while (true)
        {
            if (outcome is null)
            {
                if (heldSince is not null || breaker.IsOpen)
                {
                    // Received before the breaker opened, or failed because of the outage: wait here instead of in the queue.
                    heldSince ??= _clock.GetTimestamp();
                    if (!await WaitForRecoveryAsync(heldSince.Value, message, stoppingToken).ConfigureAwait(false))
                    {
                        await heartbeat.UntrackAsync(message).ConfigureAwait(false);
                        await ReleaseAsync(queueUrl, message).ConfigureAwait(false);
                        return;
                    }
                }
                outcome = await processor.HandleAsync(_queueName, inbound, CancellationToken.None).ConfigureAwait(false);
            }
            if (outcome.Handled)
            {
                heartbeat.Untrack(message);
                await DeleteAsync(queueUrl, [message]).ConfigureAwait(false);
                return;
            }
            if (outcome.IsOutage)
            {
                breaker.Open(_queueName, outcome.Error!);
                heldSince ??= _clock.GetTimestamp();
                outcome = null;
                continue;
            }
            await heartbeat.UntrackAsync(message).ConfigureAwait(false);
            await DelayRetryAsync(queueUrl, message, inbound.ReceiveCount, settings).ConfigureAwait(false);
            return;
        }
    }

    /// <returns>True once the breaker is closed; false when the hold is used up or the service is stopping.</returns>
    private async Task<bool> WaitForRecoveryAsync(long heldSince, Message message, CancellationToken stoppingToken)
    {
        var left = outageOptions.Value.MaxHold - _clock.GetElapsedTime(heldSince);
        try
        {
            if (stoppingToken.IsCancellationRequested || left <= TimeSpan.Zero)
            {
                throw new TimeoutException();
            }
            await breaker.WaitUntilClosedAsync(stoppingToken).WaitAsync(left, _clock, stoppingToken).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
            LogReleased(logger, message.MessageId, _queueName,
                stoppingToken.IsCancellationRequested ? "the service is stopping" : "it was held as long as allowed");
            return false;
        }
    }

    private async Task DeleteAsync(string queueUrl, IReadOnlyList<Message> messages)
    {
        if (messages.Count == 0)
        {
            return;
        }
        try
        {
            // No cancellation: work done is acknowledged even while the service stops.
            if (messages.Count == 1)
            {
                await sqs.DeleteMessageAsync(queueUrl, messages[0].ReceiptHandle, CancellationToken.None).ConfigureAwait(false);
                return;
            }
            var response = await sqs.DeleteMessageBatchAsync(queueUrl, [.. messages.Select((m, i) =>
                new DeleteMessageBatchRequestEntry(i.ToString(System.Globalization.CultureInfo.InvariantCulture), m.ReceiptHandle))],
                CancellationToken.None).ConfigureAwait(false);
            foreach (var failed in response.Failed ?? [])
            {
                LogDeleteRefused(logger, messages[int.Parse(failed.Id, System.Globalization.CultureInfo.InvariantCulture)].MessageId,
                    failed.Code, failed.Message);
            }
        }
        catch (Exception ex)
        {
            // Not deleted means delivered again; the handlers are idempotent, so that is safe.
            foreach (var message in messages)
            {
                LogDeleteFailed(logger, ex, message.MessageId);
            }
        }
    }

    /// <summary>Visible again at once, for this or another instance, without waiting out the visibility timeout.</summary>
    private async Task ReleaseAsync(string queueUrl, Message message)
    {
        try
        {
            await sqs.ChangeMessageVisibilityAsync(queueUrl, message.ReceiptHandle, 0, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // Harmless: it reappears when its visibility runs out instead.
            LogRetryDelayFailed(logger, ex);
        }
    }

    private async Task DelayRetryAsync(string queueUrl, Message message, int receiveCount, SqsConsumerOptions settings)
    {
        if (settings.RetryDelaySeconds <= 0)
        {
            return;
        }
        try
        {
            await sqs.ChangeMessageVisibilityAsync(queueUrl, message.ReceiptHandle,
                Math.Min(300, settings.RetryDelaySeconds * Math.Max(1, receiveCount)), CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // Harmless: the message reappears after the queue's own visibility timeout instead.
            LogRetryDelayFailed(logger, ex);
        }
    }

    /// <returns>False when the service is stopping.</returns>
    private async Task<bool> BackOffAsync(Exception ex, int consecutiveErrors, CancellationToken stoppingToken)
    {
        // The queue is unreachable or refused us: keep trying, more slowly, without stopping the service.
        var backoff = TimeSpan.FromSeconds(Math.Min(MaxBackoff.TotalSeconds, Math.Pow(2, consecutiveErrors - 1)));
        LogReceiveFailed(logger, ex, _queueName, backoff.TotalSeconds);
        try
        {
            await Task.Delay(backoff, _clock, stoppingToken).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
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

    [LoggerMessage(LogLevel.Warning, "The queue {Queue} has a visibility timeout of {QueueSeconds} s, "
        + "the configuration says {ConfiguredSeconds} s (Messaging:Consumer:VisibilityTimeoutSeconds); "
        + "messages in flight are extended within the smaller")]
    private static partial void LogVisibilityMismatch(ILogger logger, string queue, int queueSeconds, int configuredSeconds);

    [LoggerMessage(LogLevel.Warning, "Message {MessageId} on {Queue} is given back to the queue unhandled: {Why}")]
    private static partial void LogReleased(ILogger logger, string messageId, string queue, string why);

    [LoggerMessage(LogLevel.Warning, "Deleting handled message {MessageId} failed; it will be delivered again")]
    private static partial void LogDeleteFailed(ILogger logger, Exception exception, string messageId);

    [LoggerMessage(LogLevel.Warning, "Deleting handled message {MessageId} was refused ({Code}: {Reason}); it will be delivered again")]
    private static partial void LogDeleteRefused(ILogger logger, string messageId, string code, string reason);

    [LoggerMessage(LogLevel.Warning, "Changing the visibility of a failed or released message failed")]
    private static partial void LogRetryDelayFailed(ILogger logger, Exception exception);
}

/// <summary>The queue a consumer reads (name or URL).</summary>
public sealed record ConsumedQueue(string NameOrUrl);
