using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;
using OrderPipeline.AppHost.Lambda;

namespace OrderPipeline.Tests.Shared;

/// <summary>
/// A function behind <see cref="ILambdaInvoker"/>, for the tests of what invokes one (event sources, schedules): it
/// keeps every invocation's SQS records, counts how many invocations run at once, and answers with
/// <see cref="Answer"/> (success with an empty body unless told otherwise).
/// </summary>
internal sealed class FakeLambdaInvoker : ILambdaInvoker
{
    private int _running;
    private int _mostAtOnce;

    /// <summary>One SQS record of an invocation's event.</summary>
    public sealed record Record(string MessageId, string Body, int ReceiveCount, string EventSourceArn);

    /// <summary>One invocation: the path its event was POSTed to, the event, its records (none for a non-SQS event), when it began.</summary>
    public sealed record Invocation(string Path, string Json, IReadOnlyList<Record> Records, DateTime StartedUtc);

    public string FunctionName { get; init; } = "fake-function";

    public string PassThroughPath { get; init; } = "/events";

    /// <summary>The answer to an invocation (its records are given); it may wait, honouring the cancellation.</summary>
    public Func<Invocation, CancellationToken, Task<LambdaInvocationResult>> Answer { get; set; } = (_, _) => Task.FromResult(Succeeded());

    public ConcurrentQueue<Invocation> Invocations { get; } = new();

    /// <summary>The most invocations that ran at once so far.</summary>
    public int MostAtOnce => Volatile.Read(ref _mostAtOnce);

    /// <summary>Every record of every invocation so far, in the order the invocations began.</summary>
    public IReadOnlyList<Record> Records => [.. Invocations.SelectMany(i => i.Records)];

    public static LambdaInvocationResult Succeeded(string body = "") => new(LambdaInvocationOutcome.Succeeded, 200, [], Encoding.UTF8.GetBytes(body));

    /// <summary>A partial batch response naming <paramref name="messageIds"/> as failed.</summary>
    public static LambdaInvocationResult ReportingFailed(IEnumerable<string> messageIds) =>
        Succeeded(JsonSerializer.Serialize(new { batchItemFailures = messageIds.Select(id => new { itemIdentifier = id }) }));

    public async Task<LambdaInvocationResult> InvokeAsync(LambdaRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var json = Encoding.UTF8.GetString(request.Body);
        Assert.Equal(HttpMethod.Post, request.Method);
        var invocation = new Invocation(request.PathAndQuery, json, RecordsOf(json), DateTime.UtcNow);
        Invocations.Enqueue(invocation);
        var running = Interlocked.Increment(ref _running);
        for (var most = MostAtOnce; running > most; most = MostAtOnce)
        {
            Interlocked.CompareExchange(ref _mostAtOnce, running, most);
        }
        try
        {
            return await Answer(invocation, cancellationToken);
        }
        finally
        {
            Interlocked.Decrement(ref _running);
        }
    }

    private static List<Record> RecordsOf(string json)
    {
        using var document = JsonDocument.Parse(json);
        if (!document.RootElement.TryGetProperty("Records", out var records))
        {
            return [];
        }
        return [.. records.EnumerateArray().Select(r => new Record(
            r.GetProperty("messageId").GetString()!,
            r.GetProperty("body").GetString()!,
            r.GetProperty("attributes").TryGetProperty("ApproximateReceiveCount", out var count)
                ? int.Parse(count.GetString()!, CultureInfo.InvariantCulture)
                : 0,
            r.GetProperty("eventSourceARN").GetString()!))];
    }
}
