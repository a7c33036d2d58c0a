using System.Diagnostics;
using Amazon.SQS;
using Microsoft.Extensions.Options;
using OrderPipeline.Messaging.Sqs;

namespace OrderPipeline.Api.Admission;

/// <summary>
/// Whether the Api takes a new order, from how many wait on order-created (<see cref="AdmissionOptions.MaxQueuedOrders"/>).
/// A client that keeps posting faster than the Processor settles is then told to come back (503 with Retry-After)
/// instead of each accepted order waiting longer than the last: a refused order is a client's to retry, an accepted one
/// is the system's to settle. The count is SQS's approximate one, read in the background at most once per
/// <see cref="AdmissionOptions.CountInterval"/>; a request never waits for it. When it cannot be read, orders are taken:
/// the publish itself then answers for a queue that cannot be reached.
/// </summary>
public sealed partial class OrderQueueAdmission(
    IAmazonSQS sqs,
    QueueUrlResolver queueUrls,
    IOptions<QueueOptions> queues,
    IOptions<AdmissionOptions> options,
    TimeProvider clock,
    ILogger<OrderQueueAdmission> logger)
{
    private static readonly TimeSpan CountTimeout = TimeSpan.FromSeconds(5);
    private static readonly List<string> CountAttribute = ["ApproximateNumberOfMessages"];

    private long _nextCount;
    private int _counting;
    private int _queued;

    /// <summary>Orders waiting on order-created at the last count.</summary>
    public int Queued => Volatile.Read(ref _queued);

    /// <summary>The Retry-After of a refusal, in seconds (<see cref="AdmissionOptions.RetryAfterSeconds"/>).</summary>
    public int RetryAfterSeconds => options.Value.RetryAfterSeconds;

    /// <summary>Whether a new order is taken now; starts a new count when the last one is due.</summary>
    public bool Admits()
    {
        if (options.Value.MaxQueuedOrders is not (> 0 and var limit))
        {
            return true;
        }
        if (clock.GetTimestamp() >= Volatile.Read(ref _nextCount) && Interlocked.CompareExchange(ref _counting, 1, 0) == 0)
        {
            _ = CountAsync();
        }
        return Queued <= limit;
    }

    private async Task CountAsync()
    {
        // The count is no request's: it would otherwise show as a span in the trace of the order that happened to start it.
        // The caller's span is current again when this returns at its first await.
        Activity.Current = null;
        try
        {
            using var timeout = new CancellationTokenSource(CountTimeout, clock);
            var url = await queueUrls.GetUrlAsync(queues.Value.OrderCreated, timeout.Token);
            var attributes = await sqs.GetQueueAttributesAsync(url, CountAttribute, timeout.Token);
            Volatile.Write(ref _queued, attributes.ApproximateNumberOfMessages);
        }
        catch (Exception ex)
        {
            Volatile.Write(ref _queued, 0);
            LogNotCounted(logger, ex);
        }
        finally
        {
            var interval = options.Value.CountInterval;
            Volatile.Write(ref _nextCount, clock.GetTimestamp() + (long)(interval.TotalSeconds * clock.TimestampFrequency));
            Volatile.Write(ref _counting, 0);
        }
    }

    [LoggerMessage(LogLevel.Warning, "The orders waiting on order-created could not be counted; new orders are taken until they can be")]
    private static partial void LogNotCounted(ILogger logger, Exception exception);
}
