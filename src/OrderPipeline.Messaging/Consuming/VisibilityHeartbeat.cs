using System.Collections.Concurrent;
using System.Globalization;
using Amazon.SQS;
using Amazon.SQS.Model;
using Microsoft.Extensions.Logging;

namespace OrderPipeline.Messaging.Consuming;

/// <summary>
/// Keeps the messages a consumer holds invisible to everyone else: every third of the visibility timeout it extends
/// the visibility of each message still tracked (being handled, or held through an outage) by a whole timeout, so a
/// handler that runs long is never handed to a second consumer, and a held message burns no receive.
/// </summary>
internal sealed partial class VisibilityHeartbeat(IAmazonSQS sqs, string queueUrl, TimeSpan visibilityTimeout, TimeProvider clock, ILogger logger)
{
    private readonly ConcurrentDictionary<string, string> _receipts = new(StringComparer.Ordinal);

    // Held during each round of extensions: once UntrackAsync returns, no extension of that message is under way that
    // could undo the visibility its consumer is about to give it (a retry delay, or 0 to give it back).
    private readonly SemaphoreSlim _round = new(1, 1);

    public TimeSpan Interval { get; } = TimeSpan.FromMilliseconds(Math.Max(200, visibilityTimeout.TotalMilliseconds / 3));

    public int Count => _receipts.Count;

    /// <summary>From its receipt until <see cref="Untrack"/>: the message is extended before it expires.</summary>
    public void Track(Message message) => _receipts[message.MessageId] = message.ReceiptHandle;

    /// <summary>Before the message is deleted: an extension racing with the delete only fails.</summary>
    public void Untrack(Message message) => _receipts.TryRemove(message.MessageId, out _);

    /// <summary>Before the message's visibility is changed, so the heartbeat does not undo that.</summary>
    public async Task UntrackAsync(Message message)
    {
        await _round.WaitAsync().ConfigureAwait(false);
        try
        {
            _receipts.TryRemove(message.MessageId, out _);
        }
        finally
        {
            _round.Release();
        }
    }

    public async Task RunAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, clock);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                await ExtendAsync(stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: what is still tracked is released by the consumer.
        }
    }

    internal async Task ExtendAsync(CancellationToken cancellationToken)
    {
        var seconds = (int)Math.Ceiling(visibilityTimeout.TotalSeconds);
        await _round.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            foreach (var chunk in _receipts.ToArray().Chunk(10))
            {
                await ExtendAsync(chunk, seconds, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _round.Release();
        }
    }

    private async Task ExtendAsync(KeyValuePair<string, string>[] chunk, int seconds, CancellationToken cancellationToken)
    {
        var entries = chunk.Select((r, i) => new ChangeMessageVisibilityBatchRequestEntry(i.ToString(CultureInfo.InvariantCulture), r.Value)
        {
            VisibilityTimeout = seconds,
        }).ToList();
        try
        {
            var response = await sqs.ChangeMessageVisibilityBatchAsync(queueUrl, entries, cancellationToken).ConfigureAwait(false);
            foreach (var failure in response.Failed ?? [])
            {
                // Usually a message deleted between the snapshot and the call: nothing to extend.
                LogExtendRefused(logger, failure.Id, failure.Message);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Tried again on the next beat, a third of a timeout later: still before the message expires.
            LogExtendFailed(logger, ex, entries.Count);
        }
    }

    [LoggerMessage(LogLevel.Debug, "Extending the visibility of entry {EntryId} was refused: {Reason}")]
    private static partial void LogExtendRefused(ILogger logger, string entryId, string reason);

    [LoggerMessage(LogLevel.Warning, "Extending the visibility of {Count} messages in flight failed; trying again on the next beat")]
    private static partial void LogExtendFailed(ILogger logger, Exception exception, int count);
}
