using System.Reflection;
using Amazon.SQS;
using Amazon.SQS.Model;

namespace OrderPipeline.AppHostTests;

/// <summary>
/// Queues in memory behind <see cref="IAmazonSQS"/>, for the few calls a dead-letter queue's redrive makes (receive,
/// send in batches, delete in batches, queue attributes). A received message stays in flight until deleted; nothing
/// times out. <see cref="Sent"/> sees each message a queue takes, so a test can play a consumer.
/// </summary>
public class InMemorySqs : DispatchProxy
{
    /// <summary>Past this many receives the fake throws, so that a redrive that never stops fails instead of hanging.</summary>
    public const int RunawayReceives = 1_000;

    private readonly Dictionary<string, List<Message>> _visible = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Dictionary<string, Message>> _inFlight = new(StringComparer.Ordinal);
    private int _nextId;

    /// <summary>Receive calls so far, on any queue.</summary>
    public int Receives { get; private set; }

    /// <summary>Called for each message a queue takes: (queue URL, message). Runs before the send returns.</summary>
    public Action<string, Message>? Sent { get; set; }

    /// <summary>Whether a queue refuses a message body: (queue URL, body) to true for a refusal.</summary>
    public Func<string, string, bool> Refuses { get; set; } = (_, _) => false;

    public static InMemorySqs Create(out IAmazonSQS client)
    {
        client = Create<IAmazonSQS, InMemorySqs>();
        return (InMemorySqs)client;
    }

    public void Add(string queueUrl, string body, Dictionary<string, MessageAttributeValue>? attributes = null)
    {
        var id = $"m{++_nextId}";
        VisibleList(queueUrl).Add(new Message { MessageId = id, Body = body, MessageAttributes = attributes ?? [] });
    }

    public IReadOnlyList<Message> Visible(string queueUrl) => VisibleList(queueUrl);

    public IReadOnlyCollection<Message> InFlight(string queueUrl) => InFlightMap(queueUrl).Values;

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        args ??= [];
        return targetMethod?.Name switch
        {
            nameof(IAmazonSQS.ReceiveMessageAsync) when args[0] is ReceiveMessageRequest request => Task.FromResult(Receive(request)),
            nameof(IAmazonSQS.SendMessageBatchAsync) when args[0] is SendMessageBatchRequest request => Task.FromResult(SendBatch(request)),
            nameof(IAmazonSQS.DeleteMessageBatchAsync) when args[0] is DeleteMessageBatchRequest request => Task.FromResult(DeleteBatch(request)),
            nameof(IAmazonSQS.GetQueueAttributesAsync) when args[0] is GetQueueAttributesRequest request => Task.FromResult(Attributes(request)),
            nameof(IDisposable.Dispose) => null,
            _ => throw new NotSupportedException(
                $"{nameof(InMemorySqs)} does not do {targetMethod?.Name}({string.Join(", ", args.Select(a => a?.GetType().Name))})."),
        };
    }

    private ReceiveMessageResponse Receive(ReceiveMessageRequest request)
    {
        if (++Receives > RunawayReceives)
        {
            throw new InvalidOperationException($"Still receiving from {request.QueueUrl} after {RunawayReceives} receives: the loop does not end.");
        }
        var visible = VisibleList(request.QueueUrl);
        var taken = visible.Take(request.MaxNumberOfMessages ?? 1).ToList();
        visible.RemoveRange(0, taken.Count);
        var received = new List<Message>();
        foreach (var message in taken)
        {
            var receipt = $"receipt-{message.MessageId}-{Receives}";
            InFlightMap(request.QueueUrl)[receipt] = message;
            received.Add(new Message
            {
                MessageId = message.MessageId, Body = message.Body, MessageAttributes = message.MessageAttributes, ReceiptHandle = receipt,
            });
        }
        return new ReceiveMessageResponse { Messages = received };
    }

    private SendMessageBatchResponse SendBatch(SendMessageBatchRequest request)
    {
        var response = new SendMessageBatchResponse { Successful = [], Failed = [] };
        foreach (var entry in request.Entries)
        {
            if (Refuses(request.QueueUrl, entry.MessageBody))
            {
                response.Failed.Add(new BatchResultErrorEntry { Id = entry.Id, Code = "Refused", Message = "refused by the test", SenderFault = true });
                continue;
            }
            Add(request.QueueUrl, entry.MessageBody, entry.MessageAttributes);
            var taken = VisibleList(request.QueueUrl)[^1];
            response.Successful.Add(new SendMessageBatchResultEntry { Id = entry.Id, MessageId = taken.MessageId });
            Sent?.Invoke(request.QueueUrl, taken);
        }
        return response;
    }

    private DeleteMessageBatchResponse DeleteBatch(DeleteMessageBatchRequest request)
    {
        var response = new DeleteMessageBatchResponse { Successful = [], Failed = [] };
        foreach (var entry in request.Entries)
        {
            if (InFlightMap(request.QueueUrl).Remove(entry.ReceiptHandle))
            {
                response.Successful.Add(new DeleteMessageBatchResultEntry { Id = entry.Id });
            }
            else
            {
                response.Failed.Add(new BatchResultErrorEntry { Id = entry.Id, Code = "ReceiptHandleIsInvalid", SenderFault = true });
            }
        }
        return response;
    }

    private GetQueueAttributesResponse Attributes(GetQueueAttributesRequest request) => new()
    {
        Attributes = new Dictionary<string, string>
        {
            ["ApproximateNumberOfMessages"] = VisibleList(request.QueueUrl).Count.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["ApproximateNumberOfMessagesNotVisible"] = InFlightMap(request.QueueUrl).Count.ToString(System.Globalization.CultureInfo.InvariantCulture),
        },
    };

    /// <summary>Moves a message from the front of one queue to the end of another, as SQS does after maxReceiveCount receives.</summary>
    public void Move(string fromUrl, Message message, string toUrl)
    {
        VisibleList(fromUrl).Remove(message);
        VisibleList(toUrl).Add(message);
    }

    private List<Message> VisibleList(string queueUrl) =>
        _visible.TryGetValue(queueUrl, out var list) ? list : _visible[queueUrl] = [];

    private Dictionary<string, Message> InFlightMap(string queueUrl) =>
        _inFlight.TryGetValue(queueUrl, out var map) ? map : _inFlight[queueUrl] = new(StringComparer.Ordinal);
}
