namespace OrderPipeline.Aws;

/// <summary>
/// Signs each request with Signature Version 4 for <paramref name="service"/> in <paramref name="region"/>, with the
/// credentials <paramref name="credentials"/> gives at the time (in Lambda, the function role's, from the environment).
/// For clients that cannot sign themselves, such as the OpenTelemetry exporter sending to X-Ray's OTLP endpoint.
/// </summary>
public sealed class SigV4SigningHandler(string region, string service, Func<AwsCredentials> credentials) : DelegatingHandler
{
    protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Sign(request, request.Content?.ReadAsByteArrayAsync(cancellationToken).GetAwaiter().GetResult() ?? []);
        return base.Send(request, cancellationToken);
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Sign(request, request.Content is { } content ? await content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false) : []);
        return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
    }

    private void Sign(HttpRequestMessage request, byte[] body)
    {
        ArgumentNullException.ThrowIfNull(request.RequestUri);
        var uri = request.RequestUri;
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["host"] = uri.IsDefaultPort ? uri.Host : uri.Authority };
        if (request.Content?.Headers.ContentType is { } contentType)
        {
            headers["content-type"] = contentType.ToString();
        }
        SigV4Signer.Sign(request.Method.Method, uri.AbsolutePath, uri.Query.TrimStart('?'), headers, body, region, service, credentials(),
            DateTime.UtcNow);
        foreach (var (name, value) in headers)
        {
            if (name is not ("host" or "content-type"))
            {
                request.Headers.Remove(name);
                request.Headers.TryAddWithoutValidation(name, value);
            }
        }
    }
}
