using System.Globalization;
using System.Net;
using System.Text;
using OrderPipeline.Aws;

namespace OrderPipeline.UnitTests;

[Trait("Category", "Unit")]
public sealed class SigV4SigningHandlerTests
{
    private static readonly AwsCredentials Role = new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "session-token");

    /// <summary>Keeps what reached it; the OTLP exporter calls HttpClient.Send, so both paths are served.</summary>
    private sealed class Recorder : HttpMessageHandler
    {
        public HttpRequestMessage? Request { get; private set; }

        protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Request = request;
            return new HttpResponseMessage(HttpStatusCode.OK);
        }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(Send(request, cancellationToken));
    }

    private static (HttpClient Client, Recorder Recorder) Client()
    {
        var recorder = new Recorder();
        return (new HttpClient(new SigV4SigningHandler("eu-west-1", "xray", () => Role) { InnerHandler = recorder }), recorder);
    }

    private static HttpRequestMessage Spans(byte[] body) =>
        new(HttpMethod.Post, "https://xray.eu-west-1.amazonaws.com/v1/traces")
        {
            Content = new ByteArrayContent(body) { Headers = { { "Content-Type", "application/x-protobuf" } } },
        };

    /// <summary>The signature SigV4Signer gives the same request at the time the handler stamped on it.</summary>
    private static string ExpectedAuthorization(HttpRequestMessage sent, byte[] body)
    {
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            ["host"] = "xray.eu-west-1.amazonaws.com",
            ["content-type"] = "application/x-protobuf",
        };
        var at = DateTime.ParseExact(sent.Headers.GetValues("x-amz-date").Single(), "yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture,
            DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);
        SigV4Signer.Sign("POST", "/v1/traces", "", headers, body, "eu-west-1", "xray", Role, at);
        return headers["Authorization"];
    }

    [Fact]
    public void A_synchronous_send_is_signed_for_the_service_and_region_over_its_body_with_the_session_token()
    {
        var (client, recorder) = Client();
        var body = Encoding.UTF8.GetBytes("spans");

        using var response = client.Send(Spans(body), TestContext.Current.CancellationToken);

        var sent = recorder.Request!;
        var authorization = sent.Headers.NonValidated["Authorization"].ToString();
        Assert.Contains("/eu-west-1/xray/aws4_request", authorization, StringComparison.Ordinal);
        Assert.Contains("SignedHeaders=content-type;host;x-amz-date;x-amz-security-token", authorization, StringComparison.Ordinal);
        Assert.Equal("session-token", sent.Headers.GetValues("x-amz-security-token").Single());
        Assert.Equal(ExpectedAuthorization(sent, body), authorization);
    }

    [Fact]
    public async Task An_asynchronous_send_is_signed_and_another_body_gives_another_signature()
    {
        var (client, recorder) = Client();

        using var first = await client.SendAsync(Spans([1, 2, 3]), TestContext.Current.CancellationToken);
        var firstSent = recorder.Request!;
        Assert.Equal(ExpectedAuthorization(firstSent, [1, 2, 3]), firstSent.Headers.NonValidated["Authorization"].ToString());
        using var second = await client.SendAsync(Spans([1, 2, 4]), TestContext.Current.CancellationToken);

        Assert.NotEqual(ExpectedAuthorization(recorder.Request!, [1, 2, 3]), recorder.Request!.Headers.NonValidated["Authorization"].ToString());
    }
}
