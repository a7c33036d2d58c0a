using System.Net;

namespace OrderPipeline.Testing;

/// <summary>
/// A client of the HTTP API as AWS serves it: a request the stage throttled (429) or that Lambda refused (API Gateway's
/// own 500, which a function at its concurrency cap gives) is sent again after a short, growing pause. The Api's own
/// answers (202, 4xx, its 503) come back at once. In the tests and the benchmarks nothing crashes a function during a
/// POST, so API Gateway's 500 means the Api never ran and sending again places nothing twice.
/// </summary>
/// <param name="attempts">How many times a request is sent at most; the last answer is returned whatever it is.</param>
/// <param name="retryUnavailable">
/// Also every 503, after its Retry-After (at most 5 s): API Gateway's integration timeout (an invocation, its cold
/// start included, that outlived it) and the Api's own (the queue did not confirm the order in time, or refused it).
/// The order may have been placed all the same, so sending again may place it twice: for a load generator that counts
/// the orders in the database rather than the answers (the benchmarks, whose cold starts starve two busy cores).
/// </param>
public sealed class ThrottledRequestRetryHandler(int attempts = 30, bool retryUnavailable = false) : DelegatingHandler(new SocketsHttpHandler())
{
    private static readonly TimeSpan LongestRetryAfter = TimeSpan.FromSeconds(5);

    private int _throttled;
    private int _refused;
    private int _unavailable;

    /// <summary>Answers that were the stage's 429, each followed by another attempt (or the last one).</summary>
    public int Throttled => Volatile.Read(ref _throttled);

    /// <summary>Answers that were API Gateway's own 500 (Lambda refused or failed the invocation), likewise.</summary>
    public int Refused => Volatile.Read(ref _refused);

    /// <summary>Answers that were a 503, API Gateway's or the Api's (sent again only with <c>retryUnavailable</c>).</summary>
    public int Unavailable => Volatile.Read(ref _unavailable);

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
            var unavailable = response.StatusCode == HttpStatusCode.ServiceUnavailable;
            Interlocked.Add(ref _throttled, throttled ? 1 : 0);
            Interlocked.Add(ref _refused, refused ? 1 : 0);
            Interlocked.Add(ref _unavailable, unavailable ? 1 : 0);
            if (attempt >= attempts || !(throttled || refused || (unavailable && retryUnavailable)))
            {
                return response;
            }
            var retryAfter = unavailable && response.Headers.RetryAfter?.Delta is { } delta
                ? (delta < LongestRetryAfter ? delta : LongestRetryAfter)
                : TimeSpan.FromMilliseconds(Math.Min(1000, 50 * attempt) + Random.Shared.Next(50));
            response.Dispose();
            await Task.Delay(retryAfter, cancellationToken);
        }
    }
}
