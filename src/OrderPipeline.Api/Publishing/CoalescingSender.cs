using System.Threading.Channels;
using Microsoft.Extensions.Options;
using OrderPipeline.Messaging.Publishing;

namespace OrderPipeline.Api.Publishing;

/// <summary>
/// Lets concurrent requests share SendMessageBatch calls (one SendMessage per order held the Api to a fraction of what
/// the queue takes; see docs/cpu-per-order.md). Each caller awaits its own message's result, given only once SQS answered for
/// that message, so a 202 still means SQS stored the order. A message waits for company at most
/// <see cref="CoalescingOptions.Window"/>, and only while another call is in flight or others are already waiting: a
/// lone request (the Lambda case, one request per instance) is sent at once.
/// </summary>
/// <remarks>
/// In the Api rather than in the shared Messaging plumbing: it exists for request/response callers that each need their
/// own answer within their own deadline. The Processor's outbox already hands over whole batches.
/// </remarks>
public sealed partial class CoalescingSender(
    IEventPublisher publisher,
    IOptions<PublishingOptions> options,
    TimeProvider clock,
    ILogger<CoalescingSender> logger) : IHostedService, IAsyncDisposable, IDisposable
{
    private readonly Channel<Waiting> _waiting = Channel.CreateUnbounded<Waiting>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CoalescingOptions _settings = options.Value.Coalescing;
    private readonly TimeSpan _attemptTimeout = options.Value.AttemptTimeout;
    private const string StoppedBeforeSent = "the Api stopped before it was sent";

    private readonly int _maxCalls = MaxCalls(options.Value);
    private readonly SemaphoreSlim _calls = new(MaxCalls(options.Value));
    private readonly CancellationTokenSource _abort = new();
    private Task? _loop;
    private int _inFlight;
    private int _stopped;
    private readonly Lock _stopLock = new();
    private Task? _stopping;

    /// <summary>
    /// Sends <paramref name="message"/> with whatever else is waiting. Never throws for a failed send: the result says
    /// whether it was sent, refused (not stored), or may have been stored. When <paramref name="cancellationToken"/>
    /// fires the caller stops waiting (the call goes on for the others): not stored if its message had not yet gone
    /// out (it never will), may have been stored if it was in a call in flight.
    /// </summary>
    public async Task<SendResult> SendAsync(OutgoingMessage message, CancellationToken cancellationToken)
    {
        var waiting = new Waiting(message, clock.GetTimestamp());
        if (!_waiting.Writer.TryWrite(waiting))
        {
            return new SendResult(message, "the sender has stopped; it was not sent");
        }
        try
        {
            return await waiting.Result.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            if (waiting.TryAbandon())
            {
                return new SendResult(message, "stopped waiting before it was sent");
            }
            // Already in a call: SQS may store it whatever we do now, unless its answer came in just now.
            return waiting.Result.Task.IsCompleted
                ? await waiting.Result.Task.ConfigureAwait(false)
                : new SendResult(message, "stopped waiting while its call was in flight", MayHaveBeenStored: true);
        }
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        // Started by the host, not by the first request, so the loop and its calls carry no request's Activity: each
        // publish span takes its parent from its own message.
        _loop ??= Task.Run(() => RunAsync(_abort.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    /// <summary>
    /// Sends what is still waiting and waits for the calls in flight. Should the host stop waiting first, those calls
    /// are cancelled (their callers learn that the outcome is unknown) and what never went out fails as not stored.
    /// </summary>
    public Task StopAsync(CancellationToken cancellationToken)
    {
        // One stop, however many ask: the host's stop and the container's disposal can overlap, and disposal must not
        // free what a stop still in progress waits on.
        lock (_stopLock)
        {
            if (_stopping is null)
            {
                Interlocked.Exchange(ref _stopped, 1);
                _stopping = StopOnceAsync(cancellationToken);
            }
            return _stopping;
        }
    }

    private async Task StopOnceAsync(CancellationToken cancellationToken)
    {
        _waiting.Writer.TryComplete();
        try
        {
            await (_loop ?? Task.CompletedTask).WaitAsync(cancellationToken).ConfigureAwait(false);
            await AllCallsEndedAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await _abort.CancelAsync().ConfigureAwait(false);
            await (_loop ?? Task.CompletedTask).ConfigureAwait(false);
            await AllCallsEndedAsync(CancellationToken.None).ConfigureAwait(false);
        }
        if (_loop is null)
        {
            FailUnsent();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(new CancellationToken(canceled: true)).ConfigureAwait(false);
        _abort.Dispose();
        _calls.Dispose();
    }

    /// <summary>
    /// For a container disposed synchronously without the host having stopped us: nothing waits here. Calls in flight
    /// are cancelled and end on their own (so nothing they use is disposed); what never went out fails as not stored.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 1)
        {
            // Stopped, or stopping: the calls in flight end on their own.
            return;
        }
        _waiting.Writer.TryComplete();
        _abort.Cancel();
        if (_loop is null)
        {
            FailUnsent();
        }
    }

    private async Task RunAsync(CancellationToken abort)
    {
        var reader = _waiting.Reader;
        var maxBatch = Math.Clamp(_settings.MaxBatchSize, 1, SendBatches.MaxEntries);
        List<Waiting> batch = [];
        try
        {
            while (await reader.WaitToReadAsync(abort).ConfigureAwait(false))
            {
                // A free call first: while every call is busy, arriving messages pile up and the next call is fuller.
                await _calls.WaitAsync(abort).ConfigureAwait(false);
                var dispatched = false;
                try
                {
                    Drain(reader, batch, maxBatch);
                    if (batch.Count > 0 && batch.Count < maxBatch && (batch.Count > 1 || Volatile.Read(ref _inFlight) > 0))
                    {
                        // Others are about: wait (from the first one's arrival) for more to share this call.
                        var firstArrived = batch[0].Arrived;
                        while (batch.Count < maxBatch && await MoreWithinWindowAsync(reader, firstArrived, abort).ConfigureAwait(false))
                        {
                            Drain(reader, batch, maxBatch);
                        }
                    }
                    if (batch.Count > 0)
                    {
                        Interlocked.Increment(ref _inFlight);
                        dispatched = true;
                        _ = CallAsync([.. batch], abort);
                        batch.Clear();
                    }
                }
                finally
                {
                    if (!dispatched)
                    {
                        _calls.Release();
                    }
                }
            }
        }
        catch (OperationCanceledException) when (abort.IsCancellationRequested)
        {
            // Stopping without waiting any longer: what was gathered or is still queued fails as not stored. Done
            // here, by the channel's only reader.
            foreach (var waiting in batch)
            {
                waiting.FailUnsent(StoppedBeforeSent);
            }
            FailUnsent();
        }
    }

    /// <summary>Moves waiting messages into the batch, skipping those whose callers gave up.</summary>
    private static void Drain(ChannelReader<Waiting> reader, List<Waiting> batch, int maxBatch)
    {
        while (batch.Count < maxBatch && reader.TryRead(out var waiting))
        {
            if (!waiting.Abandoned)
            {
                batch.Add(waiting);
            }
        }
    }

    /// <returns>True when more arrived before the window, counted from <paramref name="firstArrived"/>, closed.</returns>
    private async Task<bool> MoreWithinWindowAsync(ChannelReader<Waiting> reader, long firstArrived, CancellationToken abort)
    {
        var left = _settings.Window - clock.GetElapsedTime(firstArrived);
        if (left <= TimeSpan.Zero)
        {
            return false;
        }
        using var window = new CancellationTokenSource(left, clock);
        using var either = CancellationTokenSource.CreateLinkedTokenSource(window.Token, abort);
        // The window closing is the common case under load, hundreds of times a second: awaited without throwing,
        // since a thrown and caught cancellation costs more than the wait itself.
        var waiting = reader.WaitToReadAsync(either.Token).AsTask();
        await ((Task)waiting).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        abort.ThrowIfCancellationRequested();
        return waiting.IsCompletedSuccessfully && waiting.Result;
    }

    /// <summary>One SendMessageBatch with its own timeout: no caller's token can cut it short for the others.</summary>
    private async Task CallAsync(List<Waiting> gathered, CancellationToken abort)
    {
        try
        {
            // Claimed only now, so a caller that gave up during the window is left out and knows it was never sent.
            var taken = gathered.Where(w => w.TryTake()).ToList();
            if (taken.Count == 0)
            {
                return;
            }
            IReadOnlyList<SendResult> results;
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(abort);
                timeout.CancelAfter(_attemptTimeout);
                results = await publisher.SendBatchAsync([.. taken.Select(w => w.Message)], timeout.Token).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                // Timed out or cancelled in flight (the request may have reached SQS), or anything unexpected: as for
                // a single send, SendFailure decides whether it may have stored them.
                var mayHaveBeenStored = SendFailure.MayHaveBeenStored(ex);
                LogCallFailed(logger, ex, taken.Count, mayHaveBeenStored);
                results = [.. taken.Select(w => new SendResult(w.Message, $"{ex.GetType().Name}: {ex.Message}", mayHaveBeenStored))];
            }
            for (var i = 0; i < taken.Count; i++)
            {
                taken[i].Result.TrySetResult(results[i]);
            }
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
            _calls.Release();
        }
    }

    private async Task AllCallsEndedAsync(CancellationToken cancellationToken)
    {
        // Every call holds a slot until it ends: having them all means none is in flight.
        var held = 0;
        try
        {
            for (; held < _maxCalls; held++)
            {
                await _calls.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            if (held > 0)
            {
                _calls.Release(held);
            }
        }
    }

    private static int MaxCalls(PublishingOptions options) => Math.Max(1, options.Coalescing.MaxConcurrentCalls);

    private void FailUnsent()
    {
        while (_waiting.Reader.TryRead(out var waiting))
        {
            waiting.FailUnsent(StoppedBeforeSent);
        }
    }

    [LoggerMessage(LogLevel.Warning, "A SendMessageBatch of {Count} OrderCreated failed as a whole (may have been stored: {MayHaveBeenStored})")]
    private static partial void LogCallFailed(ILogger logger, Exception exception, int count, bool mayHaveBeenStored);

    /// <summary>A message and its caller's answer. It is either taken into a call or abandoned by its caller, never both.</summary>
    private sealed class Waiting(OutgoingMessage message, long arrived)
    {
        private const int Pending = 0, Taken = 1, Gone = 2;
        private int _state;

        public OutgoingMessage Message => message;

        public long Arrived => arrived;

        public TaskCompletionSource<SendResult> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool Abandoned => Volatile.Read(ref _state) == Gone;

        public bool TryTake() => Interlocked.CompareExchange(ref _state, Taken, Pending) == Pending;

        public bool TryAbandon() => Interlocked.CompareExchange(ref _state, Gone, Pending) == Pending;

        public void FailUnsent(string why)
        {
            if (Interlocked.CompareExchange(ref _state, Gone, Pending) == Pending)
            {
                Result.TrySetResult(new SendResult(message, why));
            }
        }
    }
}
