using System.Diagnostics;
using OrderPipeline.Api.Publishing;
using OrderPipeline.Messaging.Publishing;
using OrderPipeline.Tests.Shared;
using OrderPipeline.UnitTests.Support;

namespace OrderPipeline.UnitTests;

[Trait("Category", "Unit")]
public sealed class CoalescingSenderTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    /// <summary>How far apart, on the clock, the tests send messages that are to share a call.</summary>
    private static readonly TimeSpan Spacing = TimeSpan.FromMilliseconds(30);

    private readonly BatchSqs _sqs = new();

    /// <summary>The coalescing window's clock, for the tests that start the sender on it: it moves only when told to.</summary>
    private readonly WatchedClock _clock = new();

    private static OutgoingMessage Message(string body) => new(BatchSqs.QueueUrl, "OrderCreated", body);

    private static PublishingOptions Options(TimeSpan window, int maxBatch = 10, int maxCalls = 4, TimeSpan? attemptTimeout = null) => new()
    {
        AttemptTimeout = attemptTimeout ?? TimeSpan.FromSeconds(30),
        Coalescing = new CoalescingOptions { Window = window, MaxBatchSize = maxBatch, MaxConcurrentCalls = maxCalls },
    };

    /// <summary>Holds every call whose first body is <paramref name="body"/> until released; answers the others at once.</summary>
    private TaskCompletionSource HoldCallsStartingWith(string body)
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _sqs.Answer = async (request, cancellationToken) =>
        {
            if (request.Entries[0].MessageBody == body)
            {
                await release.Task.WaitAsync(cancellationToken);
            }
            return BatchSqs.Stored(request);
        };
        return release;
    }

    private Task UntilCallsAsync(int count) =>
        Eventually.UntilAsync(() => _sqs.Calls.Count >= count, Patience, () => $"{count} calls ({_sqs.Calls.Count} made)");

    /// <summary>
    /// Sends <paramref name="body"/> and waits until the sender has taken it in: it now waits on the clock for more to
    /// share its call (a timer started), or it went out in a call of its own. Neither moving the clock nor sending the
    /// next message can then overtake it.
    /// </summary>
    private async Task<Task<SendResult>> SendTakenInAsync(BatchSqs.Senders senders, string body, CancellationToken cancellationToken)
    {
        var timers = _clock.TimersStarted;
        var calls = _sqs.Calls.Count;
        var sending = senders.Sender.SendAsync(Message(body), cancellationToken);
        await Eventually.UntilAsync(() => _clock.TimersStarted > timers || _sqs.Calls.Count > calls, Patience, () => $"the sender to take in {body}");
        return sending;
    }

    [Fact]
    public async Task Messages_sent_while_a_call_is_in_flight_share_one_call_when_the_window_closes()
    {
        var release = HoldCallsStartingWith("first");
        var window = TimeSpan.FromSeconds(1);
        await using var senders = _sqs.Start(Options(window), _clock);
        var first = senders.Sender.SendAsync(Message("first"), CancellationToken.None);
        await UntilCallsAsync(1);

        // Spread over less than the window, each taken in before the next comes: without it, each would go in a call of
        // its own.
        var opened = _clock.GetUtcNow();
        var rest = new List<Task<SendResult>>();
        for (var n = 0; n < 5; n++)
        {
            rest.Add(await SendTakenInAsync(senders, $"m{n}", CancellationToken.None));
            _clock.Advance(Spacing);
        }
        // The window, counted from the first one's arrival, closes.
        _clock.SetUtcNow(opened + window);
        var results = await Task.WhenAll(rest).WaitAsync(Patience, TestContext.Current.CancellationToken);
        release.SetResult();
        await first.WaitAsync(Patience, TestContext.Current.CancellationToken);

        Assert.All(results, r => Assert.True(r.Sent));
        Assert.Equal([1, 5], _sqs.Calls.Select(c => c.Count));
        Assert.Equal(["m0", "m1", "m2", "m3", "m4"], _sqs.Calls.Last().Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_call_goes_as_soon_as_a_full_batch_is_waiting()
    {
        var release = HoldCallsStartingWith("first");
        // The window's clock never moves: only a full batch can send them.
        await using var senders = _sqs.Start(Options(window: TimeSpan.FromMinutes(5), maxBatch: 3), _clock);
        var first = senders.Sender.SendAsync(Message("first"), CancellationToken.None);
        await UntilCallsAsync(1);

        var rest = Enumerable.Range(0, 3).Select(n => Task.Run(() => senders.Sender.SendAsync(Message($"m{n}"), CancellationToken.None))).ToArray();
        var results = await Task.WhenAll(rest).WaitAsync(Patience, TestContext.Current.CancellationToken);
        release.SetResult();
        await first.WaitAsync(Patience, TestContext.Current.CancellationToken);

        Assert.All(results, r => Assert.True(r.Sent));
        Assert.Equal([1, 3], _sqs.Calls.Select(c => c.Count));
    }

    [Fact]
    public async Task A_lone_message_is_sent_at_once_without_waiting_for_the_window()
    {
        // The window's clock never moves: were the message to wait for the window, it would never go.
        await using var senders = _sqs.Start(Options(window: TimeSpan.FromSeconds(30)), _clock);
        var watch = Stopwatch.StartNew();

        var result = await senders.Sender.SendAsync(Message("alone"), CancellationToken.None).WaitAsync(Patience, TestContext.Current.CancellationToken);

        Assert.True(result.Sent);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2), $"sent after {watch.Elapsed}");
    }

    [Fact]
    public async Task An_entry_sqs_refuses_fails_only_its_own_caller_as_not_stored()
    {
        var release = HoldCallsStartingWith("first");
        var window = TimeSpan.FromMilliseconds(300);
        await using var senders = _sqs.Start(Options(window), _clock);
        var first = senders.Sender.SendAsync(Message("first"), CancellationToken.None);
        await UntilCallsAsync(1);
        _sqs.Answer = (request, _) => Task.FromResult(BatchSqs.Refusing(request, body => body == "bad"));

        var opened = _clock.GetUtcNow();
        var good = await SendTakenInAsync(senders, "good", CancellationToken.None);
        _clock.Advance(Spacing);
        var bad = await SendTakenInAsync(senders, "bad", CancellationToken.None);
        _clock.SetUtcNow(opened + window);
        var results = await Task.WhenAll(good, bad).WaitAsync(Patience, TestContext.Current.CancellationToken);
        release.SetResult();

        Assert.Equal(2, _sqs.Calls.Last().Count);
        Assert.True(results[0].Sent);
        Assert.False(results[1].Sent);
        Assert.False(results[1].MayHaveBeenStored);
        Assert.Contains("refused", results[1].Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_call_that_times_out_leaves_every_message_of_it_with_an_unknown_outcome()
    {
        _sqs.Answer = async (request, cancellationToken) =>
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
            return BatchSqs.Stored(request);
        };
        await using var senders = _sqs.Start(Options(window: TimeSpan.FromMilliseconds(1), attemptTimeout: TimeSpan.FromMilliseconds(200)));

        // The callers would wait for ever: only the call's own timeout ends it.
        var results = await Task.WhenAll(
                senders.Sender.SendAsync(Message("a"), CancellationToken.None),
                senders.Sender.SendAsync(Message("b"), CancellationToken.None))
            .WaitAsync(Patience, TestContext.Current.CancellationToken);

        Assert.All(results, r => Assert.True(!r.Sent && r.MayHaveBeenStored, r.Error));
    }

    [Fact]
    public async Task A_caller_that_stops_waiting_does_not_cancel_the_call_for_the_others()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var callCancelled = false;
        _sqs.Answer = async (request, cancellationToken) =>
        {
            await release.Task.WaitAsync(cancellationToken);
            callCancelled = cancellationToken.IsCancellationRequested;
            return BatchSqs.Stored(request);
        };
        var window = TimeSpan.FromMilliseconds(300);
        await using var senders = _sqs.Start(Options(window), _clock);
        using var gaveUp = new CancellationTokenSource();

        var first = senders.Sender.SendAsync(Message("first"), CancellationToken.None);
        await UntilCallsAsync(1);
        // With a call in flight these two wait for the window and share the next call.
        var opened = _clock.GetUtcNow();
        var leaving = await SendTakenInAsync(senders, "leaving", gaveUp.Token);
        var staying = await SendTakenInAsync(senders, "staying", CancellationToken.None);
        _clock.SetUtcNow(opened + window);
        await UntilCallsAsync(2);
        Assert.Equal(["leaving", "staying"], _sqs.Calls.Last());
        await gaveUp.CancelAsync();
        var left = await leaving.WaitAsync(Patience, TestContext.Current.CancellationToken);
        Assert.False(staying.IsCompleted);
        release.SetResult();
        var stayed = await staying.WaitAsync(Patience, TestContext.Current.CancellationToken);
        await first.WaitAsync(Patience, TestContext.Current.CancellationToken);

        Assert.True(stayed.Sent);
        Assert.False(callCancelled);
        // It was in the call in flight: SQS may have stored it.
        Assert.True(!left.Sent && left.MayHaveBeenStored, left.Error);
    }

    [Fact]
    public async Task A_caller_that_stops_waiting_before_its_message_went_out_is_told_it_was_not_stored_and_it_is_never_sent()
    {
        var release = HoldCallsStartingWith("first");
        await using var senders = _sqs.Start(Options(window: TimeSpan.FromMilliseconds(1), maxCalls: 1));
        var first = senders.Sender.SendAsync(Message("first"), CancellationToken.None);
        await UntilCallsAsync(1);
        using var gaveUp = new CancellationTokenSource();

        // The only call is busy: this one waits its turn, and gives up first.
        var leaving = senders.Sender.SendAsync(Message("leaving"), gaveUp.Token);
        await gaveUp.CancelAsync();
        var left = await leaving.WaitAsync(Patience, TestContext.Current.CancellationToken);
        release.SetResult();
        await first.WaitAsync(Patience, TestContext.Current.CancellationToken);
        var later = await senders.Sender.SendAsync(Message("later"), CancellationToken.None).WaitAsync(Patience, TestContext.Current.CancellationToken);

        Assert.True(!left.Sent && !left.MayHaveBeenStored, left.Error);
        Assert.True(later.Sent);
        Assert.DoesNotContain("leaving", _sqs.Calls.SelectMany(c => c));
    }

    [Fact]
    public async Task Stopping_sends_what_is_waiting_and_then_sends_nothing_more()
    {
        var release = HoldCallsStartingWith("first");
        await using var senders = _sqs.Start(Options(window: TimeSpan.FromMilliseconds(1), maxCalls: 1));
        var first = senders.Sender.SendAsync(Message("first"), CancellationToken.None);
        await UntilCallsAsync(1);
        var waiting = senders.Sender.SendAsync(Message("waiting"), CancellationToken.None);

        var stopping = senders.Sender.StopAsync(TestContext.Current.CancellationToken);
        var afterStop = await senders.Sender.SendAsync(Message("after"), CancellationToken.None);
        release.SetResult();
        await stopping.WaitAsync(Patience, TestContext.Current.CancellationToken);

        Assert.True((await first).Sent);
        Assert.True((await waiting).Sent);
        Assert.True(!afterStop.Sent && !afterStop.MayHaveBeenStored, afterStop.Error);
    }
}
