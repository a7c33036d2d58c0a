using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Reflection;
using Amazon.SQS;
using Amazon.SQS.Model;

namespace OrderPipeline.AppHostTests;

/// <summary>
/// One queue in memory behind <see cref="IAmazonSQS"/>, for an event source's poller: receive (a short wait when empty,
/// as a long poll would), delete in batches. A received message stays in flight until deleted or until the test calls
/// <see cref="Redeliver"/> (its visibility timeout). <see cref="FailReceives"/> makes the next receives fail as SQS
/// does when it is down. Safe for the poller's concurrent loops.
/// </summary>
public class ScriptedSqs : DispatchProxy
{
    private readonly Lock _lock = new();
    private readonly List<Message> _visible = [];
    private readonly Dictionary<string, Message> _inFlight = new(StringComparer.Ordinal);
    private readonly List<string> _deleted = [];
    private int _nextId;
    private int _receives;
    private int _failReceives;

    public static ScriptedSqs Create(out IAmazonSQS client)
    {
        client = Create<IAmazonSQS, ScriptedSqs>();
        return (ScriptedSqs)client;
    }

    /// <summary>Makes the next <paramref name="count"/> receives fail with a refused connection.</summary>
    public void FailReceives(int count) => Interlocked.Exchange(ref _failReceives, count);

    public int Receives => Volatile.Read(ref _receives);

    /// <summary>Whether the receive of that number (from 1) fails as <see cref="FailReceives"/> makes it.</summary>
    public Func<int, bool> FailsReceive { get; set; } = _ => false;

    /// <summary>The receive requests that reached the queue (not those failed by <see cref="FailReceives"/>).</summary>
    public ConcurrentQueue<ReceiveMessageRequest> Requests { get; } = new();

    /// <summary>The number of entries of each delete batch.</summary>
    public ConcurrentQueue<int> DeleteBatchSizes { get; } = new();

    public string Add(string body)
    {
        lock (_lock)
        {
            var message = new Message { MessageId = $"m{++_nextId}", Body = body, MD5OfBody = "md5", Attributes = new() { ["ApproximateReceiveCount"] = "0" } };
            _visible.Add(message);
            return message.MessageId;
        }
    }

    /// <summary>The ids of the messages deleted, in the order they were.</summary>
    public IReadOnlyList<string> Deleted
    {
        get
        {
            lock (_lock)
            {
                return [.. _deleted];
            }
        }
    }

    public int InFlight
    {
        get
        {
            lock (_lock)
            {
                return _inFlight.Count;
            }
        }
    }

    /// <summary>Every message in flight becomes visible again, as when its visibility timeout runs out.</summary>
    public void Redeliver()
    {
        lock (_lock)
        {
            _visible.AddRange(_inFlight.Values);
            _inFlight.Clear();
        }
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        args ??= [];
        return targetMethod?.Name switch
        {
            nameof(IAmazonSQS.ReceiveMessageAsync) when args[0] is ReceiveMessageRequest request => ReceiveAsync(request, (CancellationToken)args[1]!),
            nameof(IAmazonSQS.DeleteMessageBatchAsync) when args[0] is DeleteMessageBatchRequest request => Task.FromResult(DeleteBatch(request)),
            nameof(IDisposable.Dispose) => null,
            _ => throw new NotSupportedException($"{nameof(ScriptedSqs)} does not do {targetMethod?.Name}."),
        };
    }

    private async Task<ReceiveMessageResponse> ReceiveAsync(ReceiveMessageRequest request, CancellationToken cancellationToken)
    {
        var number = Interlocked.Increment(ref _receives);
        if (Interlocked.Decrement(ref _failReceives) >= 0 || FailsReceive(number))
        {
            throw new HttpRequestException("Connection refused (127.0.0.1:4566)", new SocketException((int)SocketError.ConnectionRefused));
        }
        Requests.Enqueue(request);
        var received = Take(request.MaxNumberOfMessages ?? 1);
        if (received.Count == 0)
        {
            // As a long poll that nothing came to, shortened.
            await Task.Delay(20, cancellationToken);
        }
        return new ReceiveMessageResponse { Messages = received.Count > 0 ? received : null };
    }

    private List<Message> Take(int max)
    {
        lock (_lock)
        {
            var taken = _visible.Take(max).ToList();
            _visible.RemoveRange(0, taken.Count);
            return [.. taken.Select(message =>
            {
                var count = int.Parse(message.Attributes["ApproximateReceiveCount"], System.Globalization.CultureInfo.InvariantCulture) + 1;
                message.Attributes["ApproximateReceiveCount"] = count.ToString(System.Globalization.CultureInfo.InvariantCulture);
                var receipt = $"{message.MessageId}#{count}";
                _inFlight[receipt] = message;
                return new Message
                {
                    MessageId = message.MessageId, Body = message.Body, MD5OfBody = message.MD5OfBody, ReceiptHandle = receipt,
                    Attributes = new(message.Attributes),
                };
            })];
        }
    }

    private DeleteMessageBatchResponse DeleteBatch(DeleteMessageBatchRequest request)
    {
        lock (_lock)
        {
            DeleteBatchSizes.Enqueue(request.Entries.Count);
            var response = new DeleteMessageBatchResponse { Successful = [], Failed = [] };
            foreach (var entry in request.Entries)
            {
                if (_inFlight.Remove(entry.ReceiptHandle, out var message))
                {
                    _deleted.Add(message.MessageId);
                    response.Successful.Add(new DeleteMessageBatchResultEntry { Id = entry.Id });
                }
                else
                {
                    response.Failed.Add(new BatchResultErrorEntry { Id = entry.Id, Code = "ReceiptHandleIsInvalid", SenderFault = true });
                }
            }
            return response;
        }
    }
}
