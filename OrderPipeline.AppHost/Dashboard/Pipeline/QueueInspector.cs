using Amazon.SQS;
using Amazon.SQS.Model;
using OrderPipeline.AppHost.Resources;

namespace OrderPipeline.AppHost.Dashboard.Pipeline;

public sealed record QueueCounts(string Queue, string DeadLetterQueue, int MaxReceiveCount, long? Visible, long? InFlight, long? DeadLetterVisible, long? DeadLetterInFlight, string? Error);

public sealed record PeekedMessage(string MessageId, string Body, int ReceiveCount, DateTimeOffset? SentAt, IReadOnlyDictionary<string, string> Attributes);

/// <summary>
/// The queues as a person needs them: counts, a look at what sits in a DLQ, and redrive. Peek and redrive
/// use only receive, send, delete and ChangeMessageVisibility, so they work on the emulator too (it has no
/// StartMessageMoveTask).
/// </summary>
public sealed class QueueInspector(IReadOnlyList<SqsQueueResource> queues) : IDisposable
{
    private const int MaxRedrive = 1000;
    private readonly Lock _gate = new();
    private IAmazonSQS? _client;

    public IReadOnlyList<SqsQueueResource> Queues => queues;

    public async Task<IReadOnlyList<QueueCounts>> CountsAsync(CancellationToken cancellationToken)
    {
        var counts = new List<QueueCounts>();
        foreach (var queue in queues)
        {
            if (queue.Url is null || queue.DeadLetterUrl is null)
            {
                counts.Add(new QueueCounts(queue.QueueName, queue.DeadLetterQueueName, queue.MaxReceiveCount, null, null, null, null, "not created yet"));
                continue;
            }
            try
            {
                var (visible, inFlight) = await CountAsync(queue.Url, cancellationToken).ConfigureAwait(false);
                var (deadVisible, deadInFlight) = await CountAsync(queue.DeadLetterUrl, cancellationToken).ConfigureAwait(false);
                counts.Add(new QueueCounts(queue.QueueName, queue.DeadLetterQueueName, queue.MaxReceiveCount, visible, inFlight, deadVisible, deadInFlight, null));
            }
            catch (Exception ex) when (ex is AmazonSQSException or HttpRequestException or Amazon.Runtime.AmazonClientException)
            {
                counts.Add(new QueueCounts(queue.QueueName, queue.DeadLetterQueueName, queue.MaxReceiveCount, null, null, null, null, ex.Message));
            }
        }
        return counts;
    }

    /// <summary>
    /// Up to ten messages of the queue's DLQ, left in place: received with a short visibility timeout, then made
    /// visible again at once. Each peek counts as a receive (ApproximateReceiveCount goes up), as in the AWS console.
    /// </summary>
    public async Task<IReadOnlyList<PeekedMessage>> PeekDeadLettersAsync(string queueName, CancellationToken cancellationToken)
    {
        var queue = Find(queueName);
        var client = Client(queue);
        var response = await client.ReceiveMessageAsync(new ReceiveMessageRequest(queue.DeadLetterUrl)
        {
            MaxNumberOfMessages = 10,
            VisibilityTimeout = 5,
            WaitTimeSeconds = 0,
            MessageAttributeNames = ["All"],
            MessageSystemAttributeNames = ["All"],
        }, cancellationToken).ConfigureAwait(false);
        var messages = response.Messages ?? [];
        foreach (var message in messages)
        {
            await client.ChangeMessageVisibilityAsync(queue.DeadLetterUrl, message.ReceiptHandle, 0, cancellationToken).ConfigureAwait(false);
        }
        return [.. messages.Select(ToPeeked)];
    }

    /// <summary>Moves every message of the queue's DLQ back to the queue (send, then delete); returns how many.</summary>
    public async Task<int> RedriveAsync(string queueName, CancellationToken cancellationToken)
    {
        var queue = Find(queueName);
        var client = Client(queue);
        var moved = 0;
        while (moved < MaxRedrive)
        {
            var response = await client.ReceiveMessageAsync(new ReceiveMessageRequest(queue.DeadLetterUrl)
            {
                MaxNumberOfMessages = 10,
                VisibilityTimeout = 30,
                WaitTimeSeconds = 0,
                MessageAttributeNames = ["All"],
            }, cancellationToken).ConfigureAwait(false);
            if (response.Messages is not { Count: > 0 } messages)
            {
                break;
            }
            foreach (var message in messages)
            {
                // Sent before deleted: a failure in between leaves a duplicate, never a lost message; the
                // consumers are idempotent on the order id.
                await client.SendMessageAsync(new SendMessageRequest(queue.Url, message.Body)
                {
                    MessageAttributes = message.MessageAttributes is { Count: > 0 } attributes ? attributes : null,
                }, cancellationToken).ConfigureAwait(false);
                await client.DeleteMessageAsync(queue.DeadLetterUrl, message.ReceiptHandle, cancellationToken).ConfigureAwait(false);
                moved++;
            }
        }
        return moved;
    }

    public void Dispose() => _client?.Dispose();

    private async Task<(long Visible, long InFlight)> CountAsync(string url, CancellationToken cancellationToken)
    {
        var attributes = await Client(queues[0]).GetQueueAttributesAsync(new GetQueueAttributesRequest
        {
            QueueUrl = url,
            AttributeNames = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        }, cancellationToken).ConfigureAwait(false);
        return (attributes.ApproximateNumberOfMessages, attributes.ApproximateNumberOfMessagesNotVisible);
    }

    private SqsQueueResource Find(string queueName)
    {
        var queue = queues.FirstOrDefault(q => q.QueueName == queueName) ?? throw new KeyNotFoundException($"No queue named '{queueName}'.");
        return queue.Url is null || queue.DeadLetterUrl is null ? throw new InvalidOperationException($"{queueName} has not been created yet.") : queue;
    }

    // One client for the dashboard's lifetime, made once SQS has started (its endpoint is known only then).
    private IAmazonSQS Client(SqsQueueResource queue)
    {
        lock (_gate)
        {
            return _client ??= queue.Sqs.CreateClient();
        }
    }

    private static PeekedMessage ToPeeked(Message message)
    {
        var system = message.Attributes ?? [];
        var attributes = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in message.MessageAttributes ?? [])
        {
            attributes[key] = value.StringValue ?? $"({value.DataType}, {value.BinaryValue?.Length ?? 0} bytes)";
        }
        var receiveCount = system.TryGetValue("ApproximateReceiveCount", out var count) && int.TryParse(count, out var n) ? n : 0;
        DateTimeOffset? sent = system.TryGetValue("SentTimestamp", out var ms) && long.TryParse(ms, out var millis) ? DateTimeOffset.FromUnixTimeMilliseconds(millis) : null;
        return new PeekedMessage(message.MessageId, message.Body, receiveCount, sent, attributes);
    }
}
