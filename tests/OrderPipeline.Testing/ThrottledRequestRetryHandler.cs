using System.Net;

namespace OrderPipeline.Testing;

/// <summary>
/// A client of the HTTP API as AWS serves it: a request the stage throttled (429) or that Lambda refused (API Gateway's
/// own 500, which a function at its concurrency cap gives) is sent again after a short, growing pause. The Api's own
/// answers (202, 4xx, its 503) come back at once. In the tests and the benchmarks nothing crashes a function during a
/// POST, so API Gateway's 500 means the Api never ran and sending again places nothing twice.
/// </summary>
/// <param name="attempts">How many times a request is sent at most; the last answer is returned whatever it is.</param>
public sealed class ThrottledRequestRetryHandler(int attempts = 30) : DelegatingHandler(new SocketsHttpHandler())
{
    private int _throttled;
    private int _refused;

    /// <summary>Answers that were the stage's 429, each followed by another attempt (or the last one).</summary>
    public int Throttled => Volatile.Read(ref _throttled);

    /// <summary>Answers that were API Gateway's own 500 (Lambda refused or failed the invocation), likewise.</summary>
    public int Refused => Volatile.Read(ref _refused);

    /// <inheritdoc />
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var body = request.Content is null ? null : await request.Content.ReadAsByteArrayAsync(cancellationToken);
        for (var attempt = 1; ; attempt++)
        {
            using var copy = new HttpRequestMessage(request.Method, request.RequestUri);
            foreach (var header in request.Headers)
            {
                copy.Headers.TryAddWithoutValidation(header.Key, header.Value);
            }
            if (body is not null)
            {
                copy.Content = new ByteArrayContent(body);
                foreach (var header in request.Content!.Headers)
                {
                    copy.Content.Headers.TryAddWithoutValidation(header.Key, header.Value);
                }
            }
            var response = await base.SendAsync(copy, cancellationToken);
            var throttled = response.StatusCode == HttpStatusCode.TooManyRequests;
            var refused = response.StatusCode == HttpStatusCode.InternalServerError
                && await response.Content.ReadAsStringAsync(cancellationToken) == ApiGatewayAnswers.GatewayError;
            Interlocked.Add(ref _throttled, throttled ? 1 : 0);
            Interlocked.Add(ref _refused, refused ? 1 : 0);
            if (attempt >= attempts || !(throttled || refused))
            {
                return response;
            }
            response.Dispose();
            await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(1000, 50 * attempt) + Random.Shared.Next(50)), cancellationToken);
        }
    }
}
