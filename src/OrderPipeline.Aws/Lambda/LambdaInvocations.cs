using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace OrderPipeline.Aws.Lambda;

/// <summary>
/// Which invocations the program has answered, by Lambda request id: the Web Adapter passes the invocation's context
/// in <c>x-amzn-lambda-context</c> on every request it forwards. The telemetry extension waits here for the invocation
/// its INVOKE event names, so that it flushes what that invocation left behind.
/// </summary>
public sealed class LambdaInvocations
{
    /// <summary>The header the Web Adapter passes the Lambda context in (JSON with <c>request_id</c>).</summary>
    public const string ContextHeader = "x-amzn-lambda-context";

    private readonly ConcurrentDictionary<string, TaskCompletionSource> _answered = new(StringComparer.Ordinal);

    /// <summary>Whether anyone waits on invocations; until then nothing is recorded (and nothing piles up).</summary>
    public bool Tracking { get; set; }

    /// <summary>The request id in a request's Lambda context; null when the request came from outside an invocation.</summary>
    public static string? RequestIdOf(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var header = request.Headers[ContextHeader].ToString();
        if (header.Length == 0)
        {
            return null;
        }
        try
        {
            using var context = JsonDocument.Parse(header);
            return context.RootElement.ValueKind == JsonValueKind.Object
                   && context.RootElement.TryGetProperty("request_id", out var id) && id.ValueKind == JsonValueKind.String
                ? id.GetString()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Records that the program has answered the invocation <paramref name="requestId"/>.</summary>
    public void Answered(string requestId)
    {
        ArgumentNullException.ThrowIfNull(requestId);
        if (Tracking)
        {
            _answered.GetOrAdd(requestId, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        }
    }

    /// <summary>Completes once the invocation has been answered, or when <paramref name="cancellationToken"/> fires (its deadline).</summary>
    public async Task WaitAnsweredAsync(string requestId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(requestId);
        var answered = _answered.GetOrAdd(requestId, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        try
        {
            await answered.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _answered.TryRemove(requestId, out _);
        }
    }
}
