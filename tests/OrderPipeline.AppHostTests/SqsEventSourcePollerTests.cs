using Amazon.SQS;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Logging.Abstractions;
using OrderPipeline.AppHost.Lambda;
using OrderPipeline.AppHost.Lambda.EventSources;
using OrderPipeline.Tests.Shared;

namespace OrderPipeline.AppHostTests;

/// <summary>
/// The SQS event source's poller against a queue in memory (<see cref="ScriptedSqs"/>) and a fake function: what it
/// deletes for each kind of answer, how it rides out SQS errors and invocations that throw, and how it stops. Against the
/// real emulator: OrderPipeline.FunctionalTests' SqsEventSourceTests.
/// </summary>
[Trait("Category", "Unit")]
public sealed class SqsEventSourcePollerTests
{
    private const string QueueUrl = "http://127.0.0.1:4566/000000000000/orders";
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Sqs_errors_are_waited_out_and_polling_goes_on()
    {
        var sqs = ScriptedSqs.Create(out var client);
        sqs.FailReceives(4); // two for each loop: 1 s, then 2 s of waiting
        var id = sqs.Add("after the outage");
        var function = new FakeLambdaInvoker();

        await using var poller = Start(client, new SqsEventSourceOptions { MaximumConcurrency = 2 }, function);

        await Eventually.UntilAsync(() => sqs.Deleted.Contains(id), Deadline, () => $"the message deleted after {sqs.Receives} receives");
        Assert.True(sqs.Receives > 4, $"{sqs.Receives} receives");
        Assert.Equal([id], function.Records.Select(r => r.MessageId));
    }

    [Fact]
    public async Task A_batch_whose_window_is_cut_short_by_an_sqs_error_is_invoked_with_what_came()
    {
        var sqs = ScriptedSqs.Create(out var client);
        var id = sqs.Add("came before the outage");
        sqs.FailsReceive = number => number > 1;
        var function = new FakeLambdaInvoker();

        // A window far longer than the deadline: only the error ends the gathering in time.
        await using var poller = Start(client, new SqsEventSourceOptions { MaximumBatchingWindow = TimeSpan.FromMinutes(5), MaximumConcurrency = 2 },
            function);

        await Eventually.UntilAsync(() => sqs.Deleted.Contains(id), Deadline, () => $"the message deleted; {sqs.Receives} receives");
        Assert.Equal([id], function.Records.Select(r => r.MessageId));
    }

    [Fact]
    public async Task Without_ReportBatchItemFailures_a_successful_invocation_deletes_the_whole_batch_whatever_it_answers()
    {
        var sqs = ScriptedSqs.Create(out var client);
        string[] ids = [sqs.Add("a"), sqs.Add("b"), sqs.Add("c")];
        var function = new FakeLambdaInvoker
        {
            Answer = (invocation, _) => Task.FromResult(FakeLambdaInvoker.ReportingFailed(invocation.Records.Select(r => r.MessageId))),
        };

        await using var poller = Start(client, new SqsEventSourceOptions { BatchSize = 2 }, function);

        await Eventually.UntilAsync(() => sqs.Deleted.Count == 3, Deadline, () => $"3 messages deleted; deleted: {string.Join(", ", sqs.Deleted)}");
        Assert.Equal(ids, sqs.Deleted.Order(StringComparer.Ordinal));
        Assert.All(function.Invocations, i => Assert.InRange(i.Records.Count, 1, 2));
        Assert.All(function.Invocations, i => Assert.Equal("/events", i.Path));
        Assert.All(sqs.Requests, r =>
        {
            Assert.InRange(r.MaxNumberOfMessages ?? 1, 1, 2);
            Assert.Equal(20, r.WaitTimeSeconds);
            Assert.Equal(["All"], r.MessageSystemAttributeNames);
            Assert.Equal(["All"], r.MessageAttributeNames);
            Assert.Null(r.VisibilityTimeout);
        });
        Assert.All(sqs.DeleteBatchSizes, size => Assert.InRange(size, 1, 2));
        Assert.Equal(new SqsEventSourceCounters.Snapshot(function.Invocations.Count, 3, 0, 0), poller.Poller.Counters.Read());
    }

    [Theory]
    [InlineData("""{"batchItemFailures":[{"itemIdentifier":"zzz"}]}""")]
    [InlineData("""{"batchItemFailures":[{"itemIdentifier":""}]}""")]
    [InlineData("<html>Internal Server Error</html>")]
    public async Task With_ReportBatchItemFailures_an_answer_Lambda_cannot_read_deletes_nothing(string answer)
    {
        var sqs = ScriptedSqs.Create(out var client);
        sqs.Add("a");
        sqs.Add("b");
        var function = new FakeLambdaInvoker { Answer = (_, _) => Task.FromResult(FakeLambdaInvoker.Succeeded(answer)) };

        await using var poller = Start(client, new SqsEventSourceOptions { ReportBatchItemFailures = true }, function);

        await Eventually.UntilAsync(() => poller.Poller.Counters.Read().MessagesLeftForRetry == 2, Deadline,
            () => $"2 messages left: {poller.Poller.Counters.Read()}");
        Assert.Empty(sqs.Deleted);
        Assert.Equal(2, sqs.InFlight);
        Assert.Equal(0, poller.Poller.Counters.Read().FailedInvocations);
    }

    [Fact]
    public async Task With_ReportBatchItemFailures_the_messages_the_function_names_stay_and_the_others_are_deleted()
    {
        var sqs = ScriptedSqs.Create(out var client);
        string[] ids = [sqs.Add("keep"), sqs.Add("done"), sqs.Add("keep"), sqs.Add("done")];
        var function = new FakeLambdaInvoker
        {
            Answer = (invocation, _) =>
                Task.FromResult(FakeLambdaInvoker.ReportingFailed(invocation.Records.Where(r => r.Body == "keep").Select(r => r.MessageId))),
        };

        await using var poller = Start(client, new SqsEventSourceOptions { ReportBatchItemFailures = true }, function);

        await Eventually.UntilAsync(() => poller.Poller.Counters.Read() is { MessagesDeleted: 2, MessagesLeftForRetry: 2 }, Deadline,
            () => $"2 deleted and 2 left: {poller.Poller.Counters.Read()}");
        Assert.Equal([ids[1], ids[3]], sqs.Deleted.Order(StringComparer.Ordinal));
        Assert.Equal(2, sqs.InFlight);
    }

    [Fact]
    public async Task An_invocation_that_throws_deletes_nothing_and_polling_goes_on()
    {
        var sqs = ScriptedSqs.Create(out var client);
        var id = sqs.Add("a");
        var calls = 0;
        var function = new FakeLambdaInvoker
        {
            Answer = (_, _) => Interlocked.Increment(ref calls) == 1
                ? throw new InvalidOperationException("The function processor has not started.")
                : Task.FromResult(FakeLambdaInvoker.Succeeded()),
        };

        await using var poller = Start(client, new SqsEventSourceOptions(), function);

        await Eventually.UntilAsync(() => poller.Poller.Counters.Read().FailedInvocations == 1, Deadline, () => "a failed invocation");
        Assert.Empty(sqs.Deleted);
        sqs.Redeliver();
        await Eventually.UntilAsync(() => sqs.Deleted.Contains(id), Deadline, () => "the message deleted on its second delivery");
        Assert.Equal([1, 2], function.Records.Select(r => r.ReceiveCount));
    }

    [Fact]
    public async Task Stopping_cancels_the_invocation_under_way_deletes_nothing_and_ends_the_loops()
    {
        var sqs = ScriptedSqs.Create(out var client);
        sqs.Add("a");
        var function = new FakeLambdaInvoker
        {
            Answer = async (_, cancellationToken) =>
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
                return FakeLambdaInvoker.Succeeded();
            },
        };
        var poller = Start(client, new SqsEventSourceOptions(), function);

        await Eventually.UntilAsync(() => !function.Invocations.IsEmpty, Deadline, () => "an invocation");
        await poller.DisposeAsync();

        Assert.True(poller.Running.IsCompletedSuccessfully);
        Assert.Empty(sqs.Deleted);
        Assert.Equal(1, sqs.InFlight);
    }

    private static RunningPoller Start(IAmazonSQS sqs, SqsEventSourceOptions options, ILambdaInvoker function)
    {
        var poller = new SqsEventSourcePoller(sqs, QueueUrl, options, function, NullLogger.Instance);
        var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        return new RunningPoller(poller, poller.RunAsync(stop.Token), stop);
    }

    /// <summary>A poller under way; disposing it stops it and waits (a little) for its loops to end.</summary>
    private sealed record RunningPoller(SqsEventSourcePoller Poller, Task Running, CancellationTokenSource Stop) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Stop.CancelAsync();
            await Running.WaitAsync(TimeSpan.FromSeconds(10));
            Stop.Dispose();
        }
    }
}
