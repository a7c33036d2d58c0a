using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrderPipeline.Messaging.Outages;
using OrderPipeline.Messaging.Telemetry;
using OrderPipeline.Outages;

namespace OrderPipeline.Messaging.Consuming;

/// <summary>
/// Runs messages through the handler, traced and measured, and says how each ended: handled, failed for its own
/// reason, or failed because of an outage (see <see cref="IOutageDetector"/>). Both ways in (the SQS poller and
/// POST /events) go through here, so they behave the same.
/// <para>
/// A handler that can settle messages together (<see cref="IMessageBatchHandler"/>) is given them together, at most
/// <see cref="MaxTogether"/> at a time. When such a batch fails, it is tried again in halves, down to single messages,
/// so a message that can never succeed fails alone and its neighbours are handled. An outage is not split: every
/// half would meet it too.
/// </para>
/// </summary>
public sealed partial class MessageBatchProcessor(
    IMessageHandler handler,
    MessagingTelemetry telemetry,
    IOptions<SqsConsumerOptions> options,
    ILogger<MessageBatchProcessor> logger,
    IOutageDetector? outages = null)
{
    /// <summary>SQS's most per receive; a Lambda event may carry more, which are settled in parts this large.</summary>
    public const int MaxTogether = 10;

    private readonly IOutageDetector _outages = outages ?? new NoOutageDetector();

    /// <summary>The handler settles messages together; otherwise each message is handled on its own, in parallel.</summary>
    public bool HandlesTogether => handler is IMessageBatchHandler;

    /// <returns>The ids of the messages that were not handled and must not be acknowledged.</returns>
    public async Task<IReadOnlyList<string>> ProcessAsync(string queue, IReadOnlyList<InboundMessage> batch, CancellationToken cancellationToken)
    {
        var outcomes = await HandleBatchAsync(queue, batch, cancellationToken).ConfigureAwait(false);
        return [.. batch.Where((_, i) => !outcomes[i].Handled).Select(m => m.MessageId)];
    }

    /// <summary>
    /// Handles a batch and says how each message ended. Once a part has met an outage, the parts not yet started are
    /// not tried (each would wait out the same timeouts) and end as outages too.
    /// </summary>
    public async Task<IReadOnlyList<(InboundMessage Message, MessageOutcome Outcome)>> ProcessUntilOutageAsync(
        string queue, IReadOnlyList<InboundMessage> batch, CancellationToken cancellationToken)
    {
        var outcomes = await HandleBatchAsync(queue, batch, cancellationToken, stopAtOutage: true).ConfigureAwait(false);
        return [.. batch.Select((message, i) => (message, outcomes[i]))];
    }

    /// <summary>Handles a batch, together when the handler can; never throws.</summary>
    /// <returns>One outcome per message, in the order given.</returns>
    public Task<MessageOutcome[]> HandleBatchAsync(string queue, IReadOnlyList<InboundMessage> batch, CancellationToken cancellationToken) =>
        HandleBatchAsync(queue, batch, cancellationToken, stopAtOutage: false);

    private async Task<MessageOutcome[]> HandleBatchAsync(
        string queue, IReadOnlyList<InboundMessage> batch, CancellationToken cancellationToken, bool stopAtOutage)
    {
        var outcomes = new MessageOutcome[batch.Count];
        var parts = handler is IMessageBatchHandler
            ? Enumerable.Range(0, batch.Count).Chunk(MaxTogether)
            : Enumerable.Range(0, batch.Count).Select(i => new[] { i });
        Exception? outage = null;
        var parallelism = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, options.Value.MaxConcurrency) };
        // No token on the loop itself: each handler sees the token, and one cut short counts as not handled.
        await Parallel.ForEachAsync(parts, parallelism, async (part, _) =>
        {
            if (stopAtOutage && Volatile.Read(ref outage) is { } seen)
            {
                foreach (var i in part)
                {
                    outcomes[i] = MessageOutcome.Outage(seen);
                }
                return;
            }
            await SettleAsync(queue, batch, part, outcomes, cancellationToken).ConfigureAwait(false);
            if (part.Select(i => outcomes[i]).FirstOrDefault(o => o.IsOutage) is { } met)
            {
                Interlocked.CompareExchange(ref outage, met.Error, null);
            }
        }).ConfigureAwait(false);
        return outcomes;
    }

    /// <summary>Handles one message; never throws.</summary>
    public async Task<MessageOutcome> HandleAsync(string queue, InboundMessage message, CancellationToken cancellationToken)
    {
        var incoming = MessagingTelemetry.ReadTrace(message.Attributes);
        using var activity = telemetry.StartProcess(queue, incoming, message.MessageId);
        activity?.SetTag("messaging.sqs.receive_count", message.ReceiveCount);
        var started = Stopwatch.GetTimestamp();
        try
        {
            await handler.HandleAsync(message with { Trace = activity?.Context ?? incoming.Context, ProcessSpan = activity }, cancellationToken)
                .ConfigureAwait(false);
            telemetry.RecordProcessed(queue, Stopwatch.GetElapsedTime(started), errorType: null);
            return MessageOutcome.Success;
        }
        catch (Exception ex)
        {
            return Failed(queue, message, activity, Stopwatch.GetElapsedTime(started), ex, cancellationToken);
        }
    }

    /// <summary>Settles the messages at <paramref name="part"/> together, splitting the part when it fails as a whole.</summary>
    private async Task SettleAsync(
        string queue, IReadOnlyList<InboundMessage> batch, IReadOnlyList<int> part, MessageOutcome[] outcomes,
        CancellationToken cancellationToken)
    {
        if (part.Count == 0)
        {
            return;
        }
        if (part.Count == 1 || handler is not IMessageBatchHandler together)
        {
            foreach (var i in part)
            {
                outcomes[i] = await HandleAsync(queue, batch[i], cancellationToken).ConfigureAwait(false);
            }
            return;
        }

        // One process span per message, each in its own message's trace, so every order's trace stays whole.
        var activities = new Activity?[part.Count];
        var messages = new InboundMessage[part.Count];
        var outer = Activity.Current;
        for (var k = 0; k < part.Count; k++)
        {
            var incoming = MessagingTelemetry.ReadTrace(batch[part[k]].Attributes);
            activities[k] = telemetry.StartProcess(queue, incoming, batch[part[k]].MessageId);
            activities[k]?.SetTag("messaging.sqs.receive_count", batch[part[k]].ReceiveCount);
            activities[k]?.SetTag("messaging.batch.message_count", part.Count);
            messages[k] = batch[part[k]] with { Trace = activities[k]?.Context ?? incoming.Context, ProcessSpan = activities[k] };
        }
        // Each start made its span current: the batch is no one message's, so none of them is (InboundMessage.ProcessSpan).
        Activity.Current = outer;
        var started = Stopwatch.GetTimestamp();
        IReadOnlyDictionary<string, Exception> failures;
        try
        {
            failures = await together.HandleBatchAsync(messages, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception thrown)
        {
            var elapsed = Stopwatch.GetElapsedTime(started);
            var (ex, alone) = thrown is BatchFailedException { InnerException: { } cause } failed
                ? (cause, failed.FailedAlone)
                : (thrown, (IReadOnlyDictionary<string, Exception>)new Dictionary<string, Exception>());
            var rest = new List<int>(part.Count);
            var whole = _outages.IsOutage(ex) && ex is not InvalidMessageException
                || (ex is OperationCanceledException && cancellationToken.IsCancellationRequested);
            for (var k = 0; k < part.Count; k++)
            {
                if (alone.TryGetValue(batch[part[k]].MessageId, out var own))
                {
                    outcomes[part[k]] = Failed(queue, batch[part[k]], activities[k], elapsed, own, cancellationToken);
                }
                else if (whole)
                {
                    // Not the messages' fault: each of them would fail the same way alone.
                    outcomes[part[k]] = Failed(queue, batch[part[k]], activities[k], elapsed, ex, cancellationToken);
                }
                else
                {
                    activities[k]?.SetStatus(ActivityStatusCode.Error, "the batch failed; its messages are tried again in halves");
                    activities[k]?.AddException(ex);
                    rest.Add(part[k]);
                }
                activities[k]?.Dispose();
            }
            if (rest.Count > 0)
            {
                LogSplitting(logger, ex, part.Count, queue);
                var half = rest.Count / 2;
                await SettleAsync(queue, batch, rest[..half], outcomes, cancellationToken).ConfigureAwait(false);
                await SettleAsync(queue, batch, rest[half..], outcomes, cancellationToken).ConfigureAwait(false);
            }
            return;
        }

        var took = Stopwatch.GetElapsedTime(started);
        for (var k = 0; k < part.Count; k++)
        {
            var message = batch[part[k]];
            if (failures.TryGetValue(message.MessageId, out var error))
            {
                outcomes[part[k]] = Failed(queue, message, activities[k], took, error, cancellationToken);
            }
            else
            {
                telemetry.RecordProcessed(queue, took, errorType: null);
                outcomes[part[k]] = MessageOutcome.Success;
            }
            activities[k]?.Dispose();
        }
    }

    /// <summary>Records and logs a message that was not handled, and tells an outage from a failure of its own.</summary>
    private MessageOutcome Failed(string queue, InboundMessage message, Activity? activity, TimeSpan elapsed, Exception ex, CancellationToken cancellationToken)
    {
        activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
        activity?.AddException(ex);
        telemetry.RecordProcessed(queue, elapsed, ex.GetType().Name);
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

    [LoggerMessage(LogLevel.Warning, "Message {MessageId} on {Queue} is not a valid event and is left for the DLQ (receive {ReceiveCount}): {Problem}")]
    private static partial void LogInvalid(ILogger logger, string messageId, string queue, int receiveCount, string problem);

    [LoggerMessage(LogLevel.Error, "Message {MessageId} on {Queue} failed (receive {ReceiveCount}); it will be redelivered")]
    private static partial void LogFailed(ILogger logger, Exception exception, string messageId, string queue, int receiveCount);

    [LoggerMessage(LogLevel.Warning, "Message {MessageId} on {Queue} failed because of an outage, not because of the message: {Cause}")]
    private static partial void LogOutage(ILogger logger, string messageId, string queue, string cause);

    [LoggerMessage(LogLevel.Information, "Message {MessageId} on {Queue} was interrupted by shutdown; it will be redelivered")]
    private static partial void LogCancelled(ILogger logger, string messageId, string queue);

    [LoggerMessage(LogLevel.Warning, "A batch of {Count} messages on {Queue} failed together; trying it again in halves to find the message at fault")]
    private static partial void LogSplitting(ILogger logger, Exception exception, int count, string queue);
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
