using System.Globalization;
using System.Text;
using Amazon.SQS.Model;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Logging.Abstractions;
using OrderPipeline.AppHost.Lambda;
using OrderPipeline.AppHost.Lambda.EventSources;
using OrderPipeline.FunctionalTests.Support;
using OrderPipeline.Tests.Shared;

namespace OrderPipeline.FunctionalTests.Integration;

/// <summary>
/// The AppHost's SQS event source (its poller) against the real SQS emulator, invoking a fake function: what it deletes,
/// what comes back after the visibility timeout, batch sizes, the batching window, concurrency, and the redrive to a
/// dead-letter queue. Each test has queues of its own, with short visibility timeouts.
/// </summary>
[Collection(InfrastructureCollection.Name)]
public sealed class SqsEventSourceTests(InfrastructureFixture infra)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(45);

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_batch_reported_partly_failed_deletes_only_the_others_and_the_failed_come_back_after_the_visibility_timeout()
    {
        var queue = await CreateQueueAsync("es-partial", visibilityTimeoutSeconds: 2);
        await SendAsync(queue, "ok-1", "fail-1", "ok-2", "fail-2", "ok-3");
        // Fails the "fail-" messages on their first delivery only.
        var function = new FakeLambdaInvoker
        {
            Answer = (invocation, _) => Task.FromResult(FakeLambdaInvoker.ReportingFailed(
                invocation.Records.Where(r => r.Body.StartsWith("fail-", StringComparison.Ordinal) && r.ReceiveCount == 1).Select(r => r.MessageId))),
        };

        await using (var poller = Start(queue, new SqsEventSourceOptions { ReportBatchItemFailures = true, MaximumConcurrency = 2 }, function))
        {
            await Eventually.AssertAsync(async () => poller.Poller.Counters.Read().MessagesDeleted == 5 && await MessagesInAsync(queue) == 0,
                Deadline, "every message deleted");
            Assert.Equal(new SqsEventSourceCounters.Snapshot(function.Invocations.Count, 5, 2, 0), poller.Poller.Counters.Read());
        }

        var deliveries = function.Invocations.SelectMany(i => i.Records.Select(r => (Record: r, i.StartedUtc))).ToList();
        foreach (var body in new[] { "ok-1", "ok-2", "ok-3" })
        {
            Assert.Equal([1], deliveries.Where(d => d.Record.Body == body).Select(d => d.Record.ReceiveCount));
        }
        foreach (var body in new[] { "fail-1", "fail-2" })
        {
            var delivered = deliveries.Where(d => d.Record.Body == body).ToList();
            Assert.Equal([1, 2], delivered.Select(d => d.Record.ReceiveCount));
            Assert.Single(delivered.Select(d => d.Record.MessageId).Distinct());
            // Back when the queue's visibility timeout (2 s) ran out, not sooner.
            Assert.True(delivered[1].StartedUtc - delivered[0].StartedUtc >= TimeSpan.FromSeconds(1.5),
                $"{body} came back after {(delivered[1].StartedUtc - delivered[0].StartedUtc).TotalSeconds:0.00} s");
        }
    }

    [Theory]
    [InlineData(nameof(LambdaInvocationOutcome.FunctionError))]
    [InlineData(nameof(LambdaInvocationOutcome.TimedOut))]
    [InlineData(nameof(LambdaInvocationOutcome.Crashed))]
    [InlineData(nameof(LambdaInvocationOutcome.Throttled))]
    public async Task A_failed_invocation_deletes_nothing_and_its_batch_comes_back(string outcomeName)
    {
        var outcome = Enum.Parse<LambdaInvocationOutcome>(outcomeName);
        var queue = await CreateQueueAsync("es-failed", visibilityTimeoutSeconds: 1);
        await SendAsync(queue, "a", "b", "c");
        // With a body that would delete the whole batch had the invocation succeeded: the outcome decides.
        var answer = new LambdaInvocationResult(outcome, outcome == LambdaInvocationOutcome.FunctionError ? 500 : 0, [],
            Encoding.UTF8.GetBytes("""{"batchItemFailures":[]}"""));
        var function = new FakeLambdaInvoker { Answer = (_, _) => Task.FromResult(answer) };

        await using (var poller = Start(queue, new SqsEventSourceOptions { ReportBatchItemFailures = true, MaximumConcurrency = 2 }, function))
        {
            await Eventually.UntilAsync(() => function.Records.Count(r => r.ReceiveCount == 2) == 3, Deadline,
                () => $"each message delivered a second time; deliveries: {Describe(function)}");
            Assert.Equal(0, poller.Poller.Counters.Read().MessagesDeleted);
            Assert.True(poller.Poller.Counters.Read().FailedInvocations >= 2, $"{poller.Poller.Counters.Read()}");
        }

        Assert.Equal(3, await MessagesInAsync(queue));
    }

    [Theory]
    [InlineData(10)]
    [InlineData(4)]
    public async Task Batches_are_never_larger_than_the_batch_size(int batchSize)
    {
        var queue = await CreateQueueAsync("es-size", visibilityTimeoutSeconds: 30);
        var bodies = Enumerable.Range(1, 25).Select(i => $"m{i}").ToArray();
        await SendAsync(queue, bodies);
        var function = new FakeLambdaInvoker();

        await using (var poller = Start(queue, new SqsEventSourceOptions
        {
            BatchSize = batchSize, MaximumBatchingWindow = TimeSpan.FromSeconds(1), MaximumConcurrency = 2,
        }, function))
        {
            await Eventually.UntilAsync(() => poller.Poller.Counters.Read().MessagesDeleted == 25, Deadline,
                () => $"25 messages deleted: {poller.Poller.Counters.Read()}");
        }

        Assert.All(function.Invocations, i => Assert.InRange(i.Records.Count, 1, batchSize));
        Assert.True(function.Invocations.Count >= (25 + batchSize - 1) / batchSize, Describe(function));
        Assert.Equal(bodies.Order(StringComparer.Ordinal), function.Records.Select(r => r.Body).Order(StringComparer.Ordinal));
        Assert.Equal(0, await MessagesInAsync(queue));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    public async Task A_batch_that_is_not_full_waits_for_the_batching_window(int windowSeconds)
    {
        var queue = await CreateQueueAsync("es-window", visibilityTimeoutSeconds: 30);
        await SendAsync(queue, "alone");
        var function = new FakeLambdaInvoker();
        var started = DateTime.UtcNow;

        await using (var poller = Start(queue, new SqsEventSourceOptions
        {
            BatchSize = 10, MaximumBatchingWindow = TimeSpan.FromSeconds(windowSeconds), MaximumConcurrency = 2,
        }, function))
        {
            await Eventually.UntilAsync(() => poller.Poller.Counters.Read().MessagesDeleted == 1, Deadline, () => "the message deleted");
        }

        var invocation = Assert.Single(function.Invocations);
        Assert.Equal("alone", Assert.Single(invocation.Records).Body);
        var waited = invocation.StartedUtc - started;
        if (windowSeconds == 0)
        {
            // Invoked with what the first receive brought.
            Assert.True(waited < TimeSpan.FromSeconds(2.5), $"invoked after {waited.TotalSeconds:0.00} s");
        }
        else
        {
            // Held for the window (less a little for the clocks' granularity), as no more messages came.
            Assert.True(waited >= TimeSpan.FromSeconds(windowSeconds - 0.1), $"invoked after {waited.TotalSeconds:0.00} s");
        }
    }

    [Theory]
    [InlineData(2, 2)]
    [InlineData(null, SqsEventSourceOptions.LocalDefaultConcurrency)]
    public async Task Concurrent_invocations_never_exceed_the_maximum_concurrency(int? maximumConcurrency, int expected)
    {
        var queue = await CreateQueueAsync("es-concurrency", visibilityTimeoutSeconds: 30);
        await SendAsync(queue, [.. Enumerable.Range(1, 20).Select(i => $"m{i}")]);
        var function = new FakeLambdaInvoker
        {
            Answer = async (_, cancellationToken) =>
            {
                // Long enough for every loop to be invoking at once, if it can.
                await Task.Delay(300, cancellationToken);
                return FakeLambdaInvoker.Succeeded();
            },
        };

        await using (var poller = Start(queue, new SqsEventSourceOptions { BatchSize = 1, MaximumConcurrency = maximumConcurrency }, function))
        {
            await Eventually.UntilAsync(() => poller.Poller.Counters.Read().MessagesDeleted == 20, Deadline,
                () => $"20 messages deleted: {poller.Poller.Counters.Read()}");
        }

        Assert.Equal(expected, function.MostAtOnce);
        Assert.Equal(20, function.Invocations.Count);
    }

    [Fact]
    public async Task A_message_failed_three_times_lands_in_the_dead_letter_queue()
    {
        var deadLetterQueue = await CreateQueueAsync("es-dlq", visibilityTimeoutSeconds: 30);
        var queue = await CreateQueueAsync("es-poison", visibilityTimeoutSeconds: 1, deadLetterQueue, maxReceiveCount: 3);
        await SendAsync(queue, "poison");
        var function = new FakeLambdaInvoker
        {
            Answer = (invocation, _) => Task.FromResult(FakeLambdaInvoker.ReportingFailed(invocation.Records.Select(r => r.MessageId))),
        };

        await using (var poller = Start(queue, new SqsEventSourceOptions { ReportBatchItemFailures = true, MaximumConcurrency = 2 }, function))
        {
            await Eventually.AssertAsync(async () => await MessagesInAsync(deadLetterQueue) == 1, Deadline,
                "the message in the dead-letter queue");
        }

        Assert.Equal([1, 2, 3], function.Records.Select(r => r.ReceiveCount));
        Assert.Equal(0, await MessagesInAsync(queue));
        var parked = await infra.SqsClient.ReceiveMessageAsync(new ReceiveMessageRequest(deadLetterQueue) { WaitTimeSeconds = 1 }, Cancellation);
        Assert.Equal("poison", Assert.Single(parked.Messages).Body);
    }

    private RunningPoller Start(string queueUrl, SqsEventSourceOptions options, FakeLambdaInvoker function)
    {
        var poller = new SqsEventSourcePoller(infra.SqsClient, queueUrl, options, function, NullLogger.Instance);
        var stop = CancellationTokenSource.CreateLinkedTokenSource(Cancellation);
        Assert.Equal($"arn:aws:sqs:us-east-1:000000000000:{queueUrl[(queueUrl.LastIndexOf('/') + 1)..]}", poller.QueueArn);
        return new RunningPoller(poller, poller.RunAsync(stop.Token), stop);
    }

    /// <summary>A fresh queue of the test's own; with a dead-letter queue, a redrive policy to it.</summary>
    private async Task<string> CreateQueueAsync(string prefix, int visibilityTimeoutSeconds, string? deadLetterQueueUrl = null, int maxReceiveCount = 3)
    {
        var attributes = new Dictionary<string, string>
        {
            ["VisibilityTimeout"] = visibilityTimeoutSeconds.ToString(CultureInfo.InvariantCulture),
        };
        if (deadLetterQueueUrl is not null)
        {
            var arn = (await infra.SqsClient.GetQueueAttributesAsync(deadLetterQueueUrl, ["QueueArn"], Cancellation)).QueueARN;
            attributes["RedrivePolicy"] = $$"""{"deadLetterTargetArn":"{{arn}}","maxReceiveCount":"{{maxReceiveCount}}"}""";
        }
        var name = $"{prefix}-{Guid.NewGuid():N}"[..30];
        return (await infra.SqsClient.CreateQueueAsync(new CreateQueueRequest(name) { Attributes = attributes }, Cancellation)).QueueUrl;
    }

    private async Task SendAsync(string queueUrl, params string[] bodies)
    {
        foreach (var chunk in bodies.Chunk(10))
        {
            var sent = await infra.SqsClient.SendMessageBatchAsync(new SendMessageBatchRequest(queueUrl,
                [.. chunk.Select((body, i) => new SendMessageBatchRequestEntry(i.ToString(CultureInfo.InvariantCulture), body)
                {
                    MessageAttributes = new() { ["event_type"] = new MessageAttributeValue { DataType = "String", StringValue = "Test" } },
                })]), Cancellation);
            Assert.Equal(chunk.Length, sent.Successful?.Count ?? 0);
        }
    }

    /// <summary>The messages on the queue, visible or in flight.</summary>
    private async Task<int> MessagesInAsync(string queueUrl)
    {
        var counts = await infra.SqsClient.GetQueueAttributesAsync(new GetQueueAttributesRequest(queueUrl,
            ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]), Cancellation);
        return counts.ApproximateNumberOfMessages + counts.ApproximateNumberOfMessagesNotVisible;
    }

    private static string Describe(FakeLambdaInvoker function) =>
        string.Join("; ", function.Invocations.Select(i => string.Join(",", i.Records.Select(r => $"{r.Body}#{r.ReceiveCount}"))));

    /// <summary>A poller under way; disposing it stops it and waits for its loops to end.</summary>
    private sealed record RunningPoller(SqsEventSourcePoller Poller, Task Running, CancellationTokenSource Stop) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Stop.CancelAsync();
            await Running.WaitAsync(TimeSpan.FromSeconds(15));
            Stop.Dispose();
        }
    }
}
