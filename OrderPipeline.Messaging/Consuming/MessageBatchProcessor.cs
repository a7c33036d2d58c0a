using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrderPipeline.Messaging.Outages;
using OrderPipeline.Messaging.Telemetry;

namespace OrderPipeline.Messaging.Consuming;

/// <summary>
/// Runs messages through the handler, traced and measured, and says how each ended: handled, failed for its own
/// reason, or failed because of an outage (see <see cref="IOutageDetector"/>). Both ways in (the SQS poller and
/// POST /events) go through here, so they behave the same.
/// </summary>
public sealed partial class MessageBatchProcessor(
    IMessageHandler handler,
    MessagingTelemetry telemetry,
    IOptions<SqsConsumerOptions> options,
    ILogger<MessageBatchProcessor> logger,
    IOutageDetector? outages = null)
{
    private readonly IOutageDetector _outages = outages ?? new NoOutageDetector();

    /// <returns>The ids of the messages that were not handled and must not be acknowledged.</returns>
    public async Task<IReadOnlyList<string>> ProcessAsync(string queue, IReadOnlyList<InboundMessage> batch, CancellationToken cancellationToken)
    {
        var handled = new ConcurrentDictionary<string, bool>(StringComparer.Ordinal);
        var parallelism = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, options.Value.MaxConcurrency) };
        // No token on the loop itself: each handler sees the token, and one cut short counts as not handled.
        await Parallel.ForEachAsync(batch, parallelism, async (message, _) =>
        {
            if ((await HandleAsync(queue, message, cancellationToken).ConfigureAwait(false)).Handled)
            {
                handled[message.MessageId] = true;
            }
        }).ConfigureAwait(false);
        return [.. batch.Select(m => m.MessageId).Where(id => !handled.ContainsKey(id))];
    }

    /// <summary>Handles one message; never throws.</summary>
    public async Task<MessageOutcome> HandleAsync(string queue, InboundMessage message, CancellationToken cancellationToken)
    {
        using var activity = telemetry.StartProcess(queue, MessagingTelemetry.ReadTrace(message.Attributes), message.MessageId);
        activity?.SetTag("messaging.sqs.receive_count", message.ReceiveCount);
        var started = Stopwatch.GetTimestamp();
        try
        {
            await handler.HandleAsync(message, cancellationToken).ConfigureAwait(false);
            telemetry.RecordProcessed(queue, Stopwatch.GetElapsedTime(started), errorType: null);
            return MessageOutcome.Success;
        }
        catch (Exception ex)
        {
            activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
            activity?.AddException(ex);
            telemetry.RecordProcessed(queue, Stopwatch.GetElapsedTime(started), ex.GetType().Name);
            if (ex is InvalidMessageException)
            {
                // Never an outage, whatever the detector would say about its inner exception.
                LogInvalid(logger, message.MessageId, queue, message.ReceiveCount, ex.Message);
                return MessageOutcome.Failed(ex);
            }
            if (ex is OperationCanceledException && cancellationToken.IsCancellationRequested)
            {
                LogCancelled(logger, message.MessageId, queue);
                return MessageOutcome.Failed(ex);
            }
            if (_outages.IsOutage(ex))
            {
                LogOutage(logger, message.MessageId, queue, ex.Message);
                return MessageOutcome.Outage(ex);
            }
            LogFailed(logger, ex, message.MessageId, queue, message.ReceiveCount);
            return MessageOutcome.Failed(ex);
        }
    }

    [LoggerMessage(LogLevel.Warning, "Message {MessageId} on {Queue} is not a valid event and is left for the DLQ (receive {ReceiveCount}): {Problem}")]
    private static partial void LogInvalid(ILogger logger, string messageId, string queue, int receiveCount, string problem);

    [LoggerMessage(LogLevel.Error, "Message {MessageId} on {Queue} failed (receive {ReceiveCount}); it will be redelivered")]
    private static partial void LogFailed(ILogger logger, Exception exception, string messageId, string queue, int receiveCount);

    [LoggerMessage(LogLevel.Warning, "Message {MessageId} on {Queue} failed because of an outage, not because of the message: {Cause}")]
    private static partial void LogOutage(ILogger logger, string messageId, string queue, string cause);

    [LoggerMessage(LogLevel.Information, "Message {MessageId} on {Queue} was interrupted by shutdown; it will be redelivered")]
    private static partial void LogCancelled(ILogger logger, string messageId, string queue);
}

/// <summary>How handling one message ended.</summary>
/// <param name="Error">Why it was not handled; null when it was.</param>
/// <param name="IsOutage">It failed because a dependency is unavailable, not because of the message.</param>
public sealed record MessageOutcome(Exception? Error, bool IsOutage)
{
    public static readonly MessageOutcome Success = new(null, false);

    public bool Handled => Error is null;

    public static MessageOutcome Failed(Exception error) => new(error, false);

    public static MessageOutcome Outage(Exception error) => new(error, true);
}
