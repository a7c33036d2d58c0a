using System.Net.Http.Json;
using System.Text.Json;

namespace OrderPipeline.Aws.Lambda;

/// <summary>An event of the Lambda Extensions API: INVOKE (with the invocation's request id and deadline) or SHUTDOWN.</summary>
/// <param name="EventType">INVOKE or SHUTDOWN.</param>
/// <param name="RequestId">The invocation's request id (INVOKE only).</param>
/// <param name="DeadlineMs">When the invocation, or the shutdown, must be over, in Unix milliseconds.</param>
public sealed record LambdaExtensionEvent(string EventType, string? RequestId, long DeadlineMs)
{
    public const string Invoke = "INVOKE";
    public const string Shutdown = "SHUTDOWN";

    /// <summary>The deadline as a time.</summary>
    public DateTimeOffset Deadline => DateTimeOffset.FromUnixTimeMilliseconds(DeadlineMs);
}

/// <summary>
/// The Lambda Extensions API at <c>AWS_LAMBDA_RUNTIME_API</c>: register during init, then ask for the next event. Lambda
/// freezes the sandbox only once the runtime and every registered extension are waiting for their next event.
/// </summary>
public sealed class LambdaExtensionsClient : IDisposable
{
    private const string NameHeader = "Lambda-Extension-Name";
    private const string IdentifierHeader = "Lambda-Extension-Identifier";

    // Not the factory's clients: the standard resilience handler would retry and time out a call that waits for the
    // next invocation as long as the sandbox lives.
    private readonly HttpClient _http;

    /// <summary>A client of the API at <paramref name="runtimeApi"/> (host:port, as Lambda sets it).</summary>
    public LambdaExtensionsClient(string runtimeApi)
    {
        ArgumentException.ThrowIfNullOrEmpty(runtimeApi);
        _http = new HttpClient { BaseAddress = new Uri($"http://{runtimeApi}/2020-01-01/extension/"), Timeout = Timeout.InfiniteTimeSpan };
    }

    /// <summary>Registers an extension for <paramref name="events"/> and returns its identifier.</summary>
    public async Task<string> RegisterAsync(string name, IReadOnlyList<string> events, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(events);
        using var request = new HttpRequestMessage(HttpMethod.Post, "register") { Content = JsonContent.Create(new { events }) };
        request.Headers.Add(NameHeader, name);
        using var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
        return response.Headers.TryGetValues(IdentifierHeader, out var ids) && ids.FirstOrDefault() is { Length: > 0 } id
            ? id
            : throw new InvalidOperationException("The Extensions API registered the extension without an identifier.");
    }

    /// <summary>Waits for the next event: the call that tells Lambda this extension is done with the previous one.</summary>
    public async Task<LambdaExtensionEvent> NextAsync(string extensionId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(extensionId);
        using var request = new HttpRequestMessage(HttpMethod.Get, "event/next");
        request.Headers.Add(IdentifierHeader, extensionId);
        using var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
        using var body = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false),
            cancellationToken: cancellationToken).ConfigureAwait(false);
        var root = body.RootElement;
        return new LambdaExtensionEvent(
            root.GetProperty("eventType").GetString() ?? "",
            root.TryGetProperty("requestId", out var id) ? id.GetString() : null,
            root.TryGetProperty("deadlineMs", out var deadline) ? deadline.GetInt64() : 0);
    }

    public void Dispose() => _http.Dispose();
}
