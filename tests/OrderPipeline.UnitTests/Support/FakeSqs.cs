using System.Collections.Concurrent;
using System.Reflection;
using Amazon.SQS;
using Amazon.SQS.Model;

namespace OrderPipeline.UnitTests.Support;

/// <summary>
/// An in-memory stand-in for the few SQS calls the consumer makes, recording what it was asked. A receive returns what
/// was enqueued, or waits (a long poll) until something is or the caller gives up.
/// </summary>
public class FakeSqs : DispatchProxy
{
    private readonly ConcurrentQueue<Message> _pending = new();
    private readonly SemaphoreSlim _arrived = new(0);

    public int VisibilityTimeoutSeconds { get; set; } = 30;

    /// <summary>What GetQueueAttributes answers as the messages waiting (ApproximateNumberOfMessages).</summary>
    public int Waiting { get; set; }

    /// <summary>When set, GetQueueAttributes fails with it.</summary>
    public Exception? AttributesFailure { get; set; }

    /// <summary>The span current when GetQueueAttributes was last called: its call's span would be a child of it.</summary>
    public System.Diagnostics.Activity? AttributesReadUnder { get; private set; }

    /// <summary>GetQueueAttributes calls so far.</summary>
    public int AttributeReads => Volatile.Read(ref _attributeReads);

    public ConcurrentQueue<string> Deleted { get; } = new();

    /// <summary>Every visibility change, single or batched: (receipt handle, seconds).</summary>
    public ConcurrentQueue<(string Receipt, int Seconds)> VisibilityChanges { get; } = new();

    public int Receives => Volatile.Read(ref _receives);

    /// <summary>DeleteMessageBatch calls so far.</summary>
    public int DeleteBatches => Volatile.Read(ref _deleteBatches);

    private int _receives;
    private int _deleteBatches;
    private int _attributeReads;

    public static FakeSqs Create(out IAmazonSQS client)
    {
        client = Create<IAmazonSQS, FakeSqs>();
        return (FakeSqs)client;
    }

    public static Message Message(string id, string body = "{}") => new()
    {
        MessageId = id,
        ReceiptHandle = "receipt-" + id,
        Body = body,
        Attributes = new Dictionary<string, string> { ["ApproximateReceiveCount"] = "1" },
        MessageAttributes = [],
    };

    public void Enqueue(params Message[] messages)
    {
        foreach (var message in messages)
        {
            _pending.Enqueue(message);
        }
        _arrived.Release();
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        args ??= [];
        return targetMethod?.Name switch
        {
            nameof(IAmazonSQS.ReceiveMessageAsync) => ReceiveAsync((CancellationToken)args[^1]!),
            nameof(IAmazonSQS.DeleteMessageAsync) => Delete((string)args[1]!),
            nameof(IAmazonSQS.DeleteMessageBatchAsync) => DeleteBatch((List<DeleteMessageBatchRequestEntry>)args[1]!),
            nameof(IAmazonSQS.ChangeMessageVisibilityAsync) => ChangeVisibility((string)args[1]!, (int?)args[2] ?? 0),
            nameof(IAmazonSQS.ChangeMessageVisibilityBatchAsync) => ChangeVisibilityBatch((List<ChangeMessageVisibilityBatchRequestEntry>)args[1]!),
            nameof(IAmazonSQS.GetQueueAttributesAsync) => GetAttributes(),
            nameof(IAmazonSQS.Dispose) => null,
            _ => throw new NotSupportedException($"FakeSqs does not do {targetMethod?.Name}"),
        };
    }

    private async Task<ReceiveMessageResponse> ReceiveAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _receives);
        while (true)
        {
            var batch = new List<Message>();
            while (batch.Count < 10 && _pending.TryDequeue(out var message))
            {
                batch.Add(message);
            }
            if (batch.Count > 0)
            {
                return new ReceiveMessageResponse { Messages = batch };
            }
            await _arrived.WaitAsync(cancellationToken);
        }
    }

    private Task<GetQueueAttributesResponse> GetAttributes()
    {
        Interlocked.Increment(ref _attributeReads);
        AttributesReadUnder = System.Diagnostics.Activity.Current;
        return AttributesFailure is { } failure
            ? Task.FromException<GetQueueAttributesResponse>(failure)
            : Task.FromResult(new GetQueueAttributesResponse
            {
                Attributes = new Dictionary<string, string>
                {
                    ["VisibilityTimeout"] = VisibilityTimeoutSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    ["ApproximateNumberOfMessages"] = Waiting.ToString(System.Globalization.CultureInfo.InvariantCulture),
                },
            });
    }

    private Task<DeleteMessageResponse> Delete(string receipt)
    {
        Deleted.Enqueue(receipt);
        return Task.FromResult(new DeleteMessageResponse());
    }

    private Task<DeleteMessageBatchResponse> DeleteBatch(List<DeleteMessageBatchRequestEntry> entries)
    {
        Interlocked.Increment(ref _deleteBatches);
        foreach (var entry in entries)
        {
            Deleted.Enqueue(entry.ReceiptHandle);
        }
        return Task.FromResult(new DeleteMessageBatchResponse { Successful = [.. entries.Select(e => new DeleteMessageBatchResultEntry { Id = e.Id })] });
    }

    private Task<ChangeMessageVisibilityResponse> ChangeVisibility(string receipt, int seconds)
    {
        VisibilityChanges.Enqueue((receipt, seconds));
        return Task.FromResult(new ChangeMessageVisibilityResponse());
    }

    private Task<ChangeMessageVisibilityBatchResponse> ChangeVisibilityBatch(List<ChangeMessageVisibilityBatchRequestEntry> entries)
    {
        foreach (var entry in entries)
        {
            VisibilityChanges.Enqueue((entry.ReceiptHandle, entry.VisibilityTimeout ?? 0));
        }
        return Task.FromResult(new ChangeMessageVisibilityBatchResponse { Successful = [], Failed = [] });
    }
}
