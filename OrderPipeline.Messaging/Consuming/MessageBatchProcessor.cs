using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrderPipeline.Messaging.Telemetry;

namespace OrderPipeline.Messaging.Consuming;

/// <summary>
/// Runs a batch through the handler with bounded concurrency and reports which messages failed.
/// Both ways in (the SQS poller and POST /events) go through here, so they behave the same.
/// </summary>
public sealed partial class MessageBatchProcessor(
    IMessageHandler handler,
    MessagingTelemetry telemetry,
    IOptions<SqsConsumerOptions> options,
    ILogger<MessageBatchProcessor> logger)
{
    /// <returns>The ids of the messages that were not handled and must not be acknowledged.</returns>
    public async Task<IReadOnlyList<string>> ProcessAsync(string queue, IReadOnlyList<InboundMessage> batch, CancellationToken cancellationToken)
    {
        var handled = new ConcurrentDictionary<string, bool>(StringComparer.Ordinal);
        var parallelism = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, options.Value.MaxConcurrency) };
        // No token on the loop itself: each handler sees the token, and one cut short counts as not handled.
        await Parallel.ForEachAsync(batch, parallelism, async (message, _) =>
        {
            if (await TryHandleAsync(queue, message, cancellationToken).ConfigureAwait(false))
            {
                handled[message.MessageId] = true;
            }
        }).ConfigureAwait(false);
        return [.. batch.Select(m => m.MessageId).Where(id => !handled.ContainsKey(id))];
    }

    private async Task<bool> TryHandleAsync(string queue, InboundMessage message, CancellationToken cancellationToken)
    {
        using var activity = telemetry.StartProcess(queue, MessagingTelemetry.ReadTrace(message.Attributes), message.MessageId);
        activity?.SetTag("messaging.sqs.receive_count", message.ReceiveCount);
        var started = Stopwatch.GetTimestamp();
        try
        {
            await handler.HandleAsync(message, cancellationToken).ConfigureAwait(false);
            telemetry.RecordProcessed(queue, Stopwatch.GetElapsedTime(started), errorType: null);
            return true;
        }
        catch (Exception ex)
        {
            activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
            activity?.AddException(ex);
            telemetry.RecordProcessed(queue, Stopwatch.GetElapsedTime(started), ex.GetType().Name);
            if (ex is InvalidMessageException)
            {
                LogInvalid(logger, message.MessageId, queue, message.ReceiveCount, ex.Message);
            }
            else if (ex is OperationCanceledException && cancellationToken.IsCancellationRequested)
            {
                LogCancelled(logger, message.MessageId, queue);
            }
            else
            {
                LogFailed(logger, ex, message.MessageId, queue, message.ReceiveCount);
            }
            return false;
        }
    }

    [LoggerMessage(LogLevel.Warning, "Message {MessageId} on {Queue} is not a valid event and is left for the DLQ (receive {ReceiveCount}): {Problem}")]
    private static partial void LogInvalid(ILogger logger, string messageId, string queue, int receiveCount, string problem);

    [LoggerMessage(LogLevel.Error, "Message {MessageId} on {Queue} failed (receive {ReceiveCount}); it will be redelivered")]
    private static partial void LogFailed(ILogger logger, Exception exception, string messageId, string queue, int receiveCount);

    [LoggerMessage(LogLevel.Information, "Message {MessageId} on {Queue} was interrupted by shutdown; it will be redelivered")]
    private static partial void LogCancelled(ILogger logger, string messageId, string queue);
}
