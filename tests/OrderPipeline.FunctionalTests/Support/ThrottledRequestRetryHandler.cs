using System.Net;

namespace OrderPipeline.FunctionalTests.Support;

/// <summary>
/// A client of the HTTP API as AWS serves it: a request the stage throttled (429) or that Lambda refused (API Gateway's
/// own 500, which a function at its concurrency cap gives) is sent again after a short, growing pause. The Api's own
/// answers (202, 4xx, its 503) come back at once. In these tests nothing crashes a function during a POST, so API
/// Gateway's 500 means the Api never ran and sending again places nothing twice.
/// </summary>
internal sealed class ThrottledRequestRetryHandler() : DelegatingHandler(new SocketsHttpHandler())
{
    private const int Attempts = 30;
    private const string GatewayError = "{\"message\":\"Internal Server Error\"}";

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
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
            var refused = response.StatusCode == HttpStatusCode.TooManyRequests
                || (response.StatusCode == HttpStatusCode.InternalServerError && await response.Content.ReadAsStringAsync(cancellationToken) == GatewayError);
            if (attempt == Attempts || !refused)
            {
                return response;
            }
            response.Dispose();
            await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(1000, 50 * attempt) + Random.Shared.Next(50)), cancellationToken);
        }
    }
}
