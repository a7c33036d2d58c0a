using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace OrderPipeline.Aws.Lambda;

/// <summary>
/// Which invocations the program has answered, by Lambda request id: the Web Adapter passes the invocation's context
/// in <c>x-amzn-lambda-context</c> on every request it forwards. The telemetry extension waits here for the invocation
/// its INVOKE event names, so that it flushes what that invocation left behind.
/// </summary>
public sealed class LambdaInvocations : IDisposable
{
    /// <summary>The header the Web Adapter passes the Lambda context in (JSON with <c>request_id</c>).</summary>
    public const string ContextHeader = "x-amzn-lambda-context";

    private readonly ConcurrentDictionary<string, TaskCompletionSource> _answered = new(StringComparer.Ordinal);

    // The ASP.NET Core hosting span of each request, which ends only after the whole pipeline has returned.
    private const string HostingSource = "Microsoft.AspNetCore";
    private const string RequestIdProperty = "lambda.request_id";
    private ActivityListener? _spanEnds;

    /// <summary>Whether anyone waits on invocations; until then nothing is recorded (and nothing piles up).</summary>
    public bool Tracking { get; private set; }

    /// <summary>
    /// Starts recording answers, each as its request's span ends rather than when the pipeline returns: the span ends
    /// later, and a flush started before would miss it. Call it after the tracer provider is built: its listener,
    /// added after the provider's, runs once the span is queued for export.
    /// </summary>
    public void StartTracking()
    {
        _spanEnds ??= new ActivityListener
        {
            ShouldListenTo = source => source.Name == HostingSource,
            ActivityStopped = span =>
            {
                if (span.GetCustomProperty(RequestIdProperty) is string requestId)
                {
                    Answered(requestId);
                }
            },
        };
        ActivitySource.AddActivityListener(_spanEnds);
        Tracking = true;
    }

    /// <summary>
    /// Records the answer to the invocation <paramref name="requestId"/> once its request's <paramref name="span"/>
    /// ends, or now when the request has no span.
    /// </summary>
    public void AnsweredAtEndOf(Activity? span, string requestId)
    {
        ArgumentNullException.ThrowIfNull(requestId);
        if (span is { IsStopped: false } && span.Source.Name == HostingSource && _spanEnds is not null)
        {
            span.SetCustomProperty(RequestIdProperty, requestId);
        }
        else
        {
            Answered(requestId);
        }
    }

    /// <inheritdoc />
    public void Dispose() => _spanEnds?.Dispose();

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
    private void Answered(string requestId)
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
