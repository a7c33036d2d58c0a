using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Options;
using OrderPipeline.Messaging.Events;
using OrderPipeline.Messaging.Publishing;
using OrderPipeline.Messaging.Sqs;

namespace OrderPipeline.Api.Publishing;

/// <summary>
/// Publishes an accepted order's OrderCreated, sending the same message (same order id) again on failure within
/// <see cref="PublishingOptions.Budget"/>. Sending it twice is safe: the Processor records an order id once. The SQS
/// client's own retries are off in the Api (see Extensions), so that every attempt is seen here and one that may have
/// stored the message is never hidden behind a later, clearer refusal. Each attempt shares a SendMessageBatch with
/// concurrent requests through <see cref="CoalescingSender"/>, and still counts only once SQS answered for this message.
/// </summary>
public sealed partial class OrderCreatedPublisher(
    CoalescingSender sender,
    QueueUrlResolver queueUrls,
    IOptions<QueueOptions> queues,
    IOptions<PublishingOptions> options,
    TimeProvider clock,
    ILogger<OrderCreatedPublisher> logger)
{
    public async Task<PublishOutcome> PublishAsync(OrderCreated created, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        // Taken here, in the request: the send loop has no trace of its own, and the publish span must be the request's child.
        var current = Activity.Current;
        var body = JsonSerializer.Serialize(created, EventJsonContext.Default.OrderCreated);
        var started = clock.GetTimestamp();
        var delay = settings.FirstRetryDelay;
        var mayHaveBeenStored = false;
        for (var attempt = 1; ; attempt++)
        {
            var left = settings.Budget - clock.GetElapsedTime(started);
            if (attempt > 1 && left <= TimeSpan.Zero)
            {
                // The pause before this retry ended late, past the budget: no time is left for another attempt.
                return mayHaveBeenStored ? PublishOutcome.Unknown : PublishOutcome.NotStored;
            }
            // On the same clock as the budget it is cut from.
            using var deadline = new CancellationTokenSource(left < settings.AttemptTimeout ? left : settings.AttemptTimeout, clock);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
            string? queueUrl = null;
            try
            {
                // Resolved apart from the send: failing to find the queue means nothing was sent at all.
                queueUrl = await queueUrls.GetUrlAsync(queues.Value.OrderCreated, timeout.Token);
                var message = new OutgoingMessage(queueUrl, OrderCreated.EventType, body, current?.Id, current?.TraceStateString);
                // The call has its own timeout; this attempt's only bounds how long this request waits for it.
                var result = await sender.SendAsync(message, timeout.Token);
                if (result.Sent)
                {
                    return PublishOutcome.Published;
                }
                cancellationToken.ThrowIfCancellationRequested();
                mayHaveBeenStored |= result.MayHaveBeenStored;
                LogAttemptRefused(logger, created.OrderId, attempt, result.MayHaveBeenStored, result.Error);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                var thisMayHaveStored = queueUrl is not null && SendFailure.MayHaveBeenStored(ex);
                mayHaveBeenStored |= thisMayHaveStored;
                LogAttemptFailed(logger, ex, created.OrderId, attempt, thisMayHaveStored);
            }

            if (settings.Budget - clock.GetElapsedTime(started) <= delay)
            {
                return mayHaveBeenStored ? PublishOutcome.Unknown : PublishOutcome.NotStored;
            }
            await Task.Delay(delay, clock, cancellationToken);
            delay *= 2;
        }
    }

    [LoggerMessage(LogLevel.Warning, "Publishing OrderCreated for {OrderId} failed (attempt {Attempt}, may have been stored: {MayHaveBeenStored})")]
    private static partial void LogAttemptFailed(ILogger logger, Exception exception, string orderId, int attempt, bool mayHaveBeenStored);

    [LoggerMessage(LogLevel.Warning, "Publishing OrderCreated for {OrderId} failed (attempt {Attempt}, may have been stored: {MayHaveBeenStored}): {Error}")]
    private static partial void LogAttemptRefused(ILogger logger, string orderId, int attempt, bool mayHaveBeenStored, string? error);
}
