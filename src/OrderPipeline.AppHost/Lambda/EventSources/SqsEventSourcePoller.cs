using System.Globalization;
using Amazon.SQS;
using Amazon.SQS.Model;
using Microsoft.Extensions.Logging;

namespace OrderPipeline.AppHost.Lambda.EventSources;

/// <summary>
/// Polls a queue for a function as Lambda's event source mapping does: up to the event source's concurrency of loops,
/// each gathering a batch (long polls, up to the batch size or the batching window), invoking the function with it and
/// deleting what the invocation handled. A failed invocation deletes nothing: SQS delivers the messages again after
/// their visibility timeout, and a queue's redrive policy moves one received too often to its dead-letter queue.
/// The poller never changes a message's visibility. SQS errors (the emulator down or restarting) are logged and
/// waited out; nothing stops the loops but <see cref="RunAsync"/>'s cancellation.
/// </summary>
internal sealed class SqsEventSourcePoller
{
    /// <summary>The first wait after an SQS error; it doubles with each error in a row up to <see cref="LongestBackoff"/>.</summary>
    public static readonly TimeSpan FirstBackoff = TimeSpan.FromSeconds(1);

    /// <summary>The longest wait after SQS errors in a row.</summary>
    public static readonly TimeSpan LongestBackoff = TimeSpan.FromSeconds(5);

    /// <summary>The wait after a throttled invocation, before the loop receives again.</summary>
    public static readonly TimeSpan ThrottleBackoff = TimeSpan.FromSeconds(1);

    /// <summary>How long the deletes after a successful invocation may take, even while the AppHost stops.</summary>
    private static readonly TimeSpan DeleteTimeout = TimeSpan.FromSeconds(10);

    private readonly IAmazonSQS _sqs;
    private readonly string _queueUrl;
    private readonly SqsEventSourceOptions _options;
    private readonly ILambdaInvoker _invoker;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly string _region;

    /// <summary>A poller of <paramref name="queueUrl"/> for the function behind <paramref name="invoker"/>; it starts with <see cref="RunAsync"/>.</summary>
    /// <param name="sqs">The SQS client; its HTTP timeout must outlast a 20-second long poll.</param>
    /// <param name="queueUrl">The queue's URL.</param>
    /// <param name="options">The event source's configuration.</param>
    /// <param name="invoker">The function's invoker.</param>
    /// <param name="logger">Where failed invocations and SQS errors are told.</param>
    /// <param name="region">The queue's region, for its ARN and the records' <c>awsRegion</c>.</param>
    /// <param name="timeProvider">The clock of the batching window and the back-offs.</param>
    public SqsEventSourcePoller(IAmazonSQS sqs, string queueUrl, SqsEventSourceOptions options, ILambdaInvoker invoker, ILogger logger,
        string region = SqsEmulatorResource.Region, TimeProvider? timeProvider = null)
    {
        _sqs = sqs ?? throw new ArgumentNullException(nameof(sqs));
        _queueUrl = !string.IsNullOrEmpty(queueUrl) ? queueUrl : throw new ArgumentException("No queue URL.", nameof(queueUrl));
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _invoker = invoker ?? throw new ArgumentNullException(nameof(invoker));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
        _region = region;
        _time = timeProvider ?? TimeProvider.System;
        QueueArn = SqsLambdaEvent.ArnOf(queueUrl, region);
    }

    /// <summary>The queue's ARN, as the records' <c>eventSourceARN</c> give it.</summary>
    public string QueueArn { get; }

    /// <summary>What the poller has done so far.</summary>
    public SqsEventSourceCounters Counters { get; } = new();

    /// <summary>
    /// Runs the loops until <paramref name="cancellationToken"/> is cancelled, then returns (an invocation under way is
    /// cancelled, and its messages come back after their visibility timeout). Never throws.
    /// </summary>
    public Task RunAsync(CancellationToken cancellationToken) =>
        Task.WhenAll(Enumerable.Range(1, _options.EffectiveConcurrency).Select(loop => LoopAsync(loop, cancellationToken)));

    private async Task LoopAsync(int loop, CancellationToken cancellationToken)
    {
        await Task.Yield();
        var errorsInARow = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                var (batch, error) = await GatherAsync(cancellationToken).ConfigureAwait(false);
                if (batch.Count > 0)
                {
                    // Invoked even when a later receive of the window failed: what came is not left to time out.
                    var settleError = await InvokeAndSettleAsync(batch, cancellationToken).ConfigureAwait(false);
                    error ??= settleError;
                }
                if (error is null)
                {
                    if (errorsInARow > 0)
                    {
                        _logger.LogInformation("Loop {Loop} of {Queue} reaches SQS again", loop, QueueArn);
                    }
                    errorsInARow = 0;
                    continue;
                }
                errorsInARow++;
                var backoff = Backoff(errorsInARow);
                if (errorsInARow == 1)
                {
                    _logger.LogWarning("Loop {Loop} of {Queue}: SQS failed ({Error}); trying again in {Seconds} s, longer while it keeps failing",
                        loop, QueueArn, error.Message, backoff.TotalSeconds);
                }
                await Task.Delay(backoff, _time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                // Not expected (SQS and invocation errors are handled where they happen): still never the AppHost's end.
                _logger.LogError(ex, "Loop {Loop} of {Queue} failed; it goes on", loop, QueueArn);
                try
                {
                    await Task.Delay(LongestBackoff, _time, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }
    }

    /// <summary>The wait after <paramref name="errorsInARow"/> SQS errors in a row: 1 s, 2 s, 4 s, then 5 s.</summary>
    internal static TimeSpan Backoff(int errorsInARow) =>
        TimeSpan.FromTicks(Math.Min(LongestBackoff.Ticks, FirstBackoff.Ticks << Math.Clamp(errorsInARow - 1, 0, 16)));

    /// <summary>A batch as Lambda gathers one, and the SQS error that ended the gathering early, if one did.</summary>
    private async Task<(List<Message> Batch, Exception? Error)> GatherAsync(CancellationToken cancellationToken)
    {
        var batch = new List<Message>();
        long? firstCame = null;
        while (BatchingWindow.NextWaitSeconds(batch.Count, _options.BatchSize, _options.MaximumBatchingWindow,
            firstCame is { } first ? _time.GetElapsedTime(first) : TimeSpan.Zero) is { } waitSeconds)
        {
            ReceiveMessageResponse received;
            try
            {
                received = await _sqs.ReceiveMessageAsync(new ReceiveMessageRequest(_queueUrl)
                {
                    MaxNumberOfMessages = BatchingWindow.NextMaxMessages(batch.Count, _options.BatchSize),
                    WaitTimeSeconds = waitSeconds,
                    MessageSystemAttributeNames = ["All"],
                    MessageAttributeNames = ["All"],
                }, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                return (batch, ex);
            }
            foreach (var message in received.Messages ?? [])
            {
                // Received again within the window (a visibility timeout shorter than the window): the newer receipt counts.
                batch.RemoveAll(m => m.MessageId == message.MessageId);
                batch.Add(message);
            }
            if (batch.Count > 0)
            {
                firstCame ??= _time.GetTimestamp();
            }
        }
        return (batch, null);
    }

    /// <summary>Invokes the function with the batch and deletes what it handled; the SQS error of the deletes, if any.</summary>
    private async Task<Exception?> InvokeAndSettleAsync(List<Message> batch, CancellationToken cancellationToken)
    {
        var json = SqsLambdaEvent.Build(batch, QueueArn, _region);
        Counters.BatchInvoked();
        LambdaInvocationResult result;
        try
        {
            var request = LambdaRequest.Event(_invoker.PassThroughPath, json, LambdaTrigger.PubSub) with
            {
                TraceParents = [.. batch.Select(m => m.MessageAttributes?.GetValueOrDefault("traceparent")?.StringValue).OfType<string>()],
            };
            result = await _invoker.InvokeAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            _logger.LogWarning(ex, "Invoking {Function} failed", _invoker.FunctionName);
            result = LambdaInvocationResult.Failed(LambdaInvocationOutcome.Crashed);
        }

        if (result.Outcome != LambdaInvocationOutcome.Succeeded)
        {
            Counters.InvocationFailed();
            Counters.LeftForRetry(batch.Count);
            _logger.LogInformation("{Function} ended a batch of {Count} from {Queue} {Outcome}: nothing deleted; "
                + "the messages come back after their visibility timeout", _invoker.FunctionName, batch.Count, QueueArn, result.Outcome);
            if (result.Outcome == LambdaInvocationOutcome.Throttled)
            {
                await Task.Delay(ThrottleBackoff, _time, cancellationToken).ConfigureAwait(false);
            }
            return null;
        }

        var handled = batch;
        if (_options.ReportBatchItemFailures)
        {
            var verdict = BatchItemFailures.Parse(result.BodyText, [.. batch.Select(m => m.MessageId)]);
            if (verdict.WholeBatch)
            {
                _logger.LogWarning("{Function} answered a batch of {Count} from {Queue} with a response Lambda counts as a failure of "
                    + "the whole batch ({Reason}): nothing deleted", _invoker.FunctionName, batch.Count, QueueArn, verdict.Reason);
            }
            handled = [.. batch.Where(m => verdict.Succeeded(m.MessageId))];
        }
        var (deleted, error) = await DeleteAsync(handled).ConfigureAwait(false);
        Counters.Deleted(deleted);
        Counters.LeftForRetry(batch.Count - deleted);
        return error;
    }

    /// <summary>Deletes the messages, 10 a call; the number deleted and the SQS error that stopped it, if any.</summary>
    private async Task<(int Deleted, Exception? Error)> DeleteAsync(List<Message> messages)
    {
        var deleted = 0;
        // Not the stopping token: what a function handled is deleted even when the AppHost stops right after.
        using var timeout = new CancellationTokenSource(DeleteTimeout);
        foreach (var chunk in messages.Chunk(10))
        {
            DeleteMessageBatchResponse response;
            try
            {
                response = await _sqs.DeleteMessageBatchAsync(new DeleteMessageBatchRequest(_queueUrl,
                    [.. chunk.Select((m, i) => new DeleteMessageBatchRequestEntry(i.ToString(CultureInfo.InvariantCulture), m.ReceiptHandle))]),
                    timeout.Token).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                return (deleted, ex);
            }
            deleted += response.Successful?.Count ?? 0;
            if (response.Failed is { Count: > 0 } failed)
            {
                _logger.LogWarning("SQS did not delete {Count} handled message(s) from {Queue} ({Reason}): they come back",
                    failed.Count, QueueArn, failed[0].Message);
            }
        }
        return (deleted, null);
    }
}
