using System.Diagnostics;
using Amazon.SQS.Model;
using OrderPipeline.Testing;

namespace OrderPipeline.Benchmarks;

/// <summary>The raw queue measurement: messages sent per second, one per call or ten per call.</summary>
public sealed record RawQueueResult(int Senders, int Messages, double SingleSendsPerSecond, double BatchMessagesPerSecond);

/// <summary>
/// The emulator's own limit for sending: SendMessage and SendMessageBatch from several senders into a scratch queue
/// of the same emulator the system uses, nothing else in between. What the Api accepts is bounded by this.
/// </summary>
public sealed class RawQueueBenchmark(Uri serviceUrl, BenchmarkProgress progress)
{
    // About the size of an OrderCreated event with one line.
    private static readonly string Body = "{\"order_id\":\"" + Guid.Empty + "\",\"customer_id\":\"bench\","
        + "\"items\":[{\"product_id\":\"SKU-1001\",\"quantity\":1}],\"timestamp\":\"2026-01-01T00:00:00Z\"}";

    public async Task<RawQueueResult> RunAsync(int senders, int messages, int batchSize, CancellationToken cancellationToken)
    {
        using var sqs = EmulatorSqs.CreateClient(serviceUrl);
        // A scratch queue: the system's own queues have consumers that would compete with the measurement.
        var queueUrl = (await sqs.CreateQueueAsync($"bench-scratch-{Guid.NewGuid():N}"[..22], cancellationToken)).QueueUrl;
        try
        {
            progress.Begin($"raw queue, SendMessage, {senders} senders", messages);
            var single = await SendAllAsync(senders, messages, async ct =>
            {
                await sqs.SendMessageAsync(new SendMessageRequest(queueUrl, Body), ct);
                return 1;
            }, cancellationToken);
            progress.End();

            progress.Begin($"raw queue, SendMessageBatch of {batchSize}, {senders} senders", messages);
            var batches = await SendAllAsync(senders, messages / batchSize, async ct =>
            {
                var entries = Enumerable.Range(0, batchSize)
                    .Select(i => new SendMessageBatchRequestEntry(
                        i.ToString(System.Globalization.CultureInfo.InvariantCulture), Body))
                    .ToList();
                var response = await sqs.SendMessageBatchAsync(new SendMessageBatchRequest(queueUrl, entries), ct);
                return response.Failed is { Count: > 0 } failed ? throw new InvalidOperationException($"{failed.Count} batch entries failed") : batchSize;
            }, cancellationToken);
            progress.End();
            return new RawQueueResult(senders, messages, messages / single.TotalSeconds, messages / batchSize * batchSize / batches.TotalSeconds);
        }
        finally
        {
            await sqs.DeleteQueueAsync(queueUrl, CancellationToken.None);
        }
    }

    private async Task<TimeSpan> SendAllAsync(int senders, int calls, Func<CancellationToken, Task<int>> send, CancellationToken cancellationToken)
    {
        var next = -1;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, senders).Select(async _ =>
        {
            while (Interlocked.Increment(ref next) < calls)
            {
                progress.Increment(await send(cancellationToken));
            }
        }));
        return clock.Elapsed;
    }
}
