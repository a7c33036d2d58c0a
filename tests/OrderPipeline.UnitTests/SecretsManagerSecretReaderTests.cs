using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Hosting;
using OrderPipeline.Aws;

namespace OrderPipeline.UnitTests;

[Trait("Category", "Unit")]
public sealed class SecretsManagerSecretReaderTests
{
    /// <summary>Answers every request with a fixed response and keeps what was sent; the reader calls HttpClient.Send, so Send is overridden.</summary>
    private sealed class FakeSecretsManager(HttpStatusCode status, string responseBody) : HttpMessageHandler
    {
        public HttpRequestMessage? Request { get; private set; }
        public byte[] RequestBody { get; private set; } = [];

        protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Request = request;
            RequestBody = request.Content is null ? [] : request.Content.ReadAsByteArrayAsync(cancellationToken).GetAwaiter().GetResult();
            return new HttpResponseMessage(status) { Content = new StringContent(responseBody, Encoding.UTF8, "application/x-amz-json-1.1") };
        }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(Send(request, cancellationToken));
    }

    private const string Response = """
        {"ARN":"arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf","Name":"db",
        """ + """
        "SecretString":"{\"username\":\"u\",\"password\":\"p\"}","VersionId":"v1"}
        """;

    [Fact]
    public void Parse_extracts_username_and_password_from_the_secret_string()
    {
        var secret = SecretsManagerSecretReader.Parse("""{"SecretString":"{\"username\":\"u\",\"password\":\"p\"}"}""");

        Assert.Equal(new SecretsManagerSecretReader.UserPassword("u", "p"), secret);
    }

    [Fact]
    public void Parse_keeps_special_characters_of_the_password()
    {
        var secret = SecretsManagerSecretReader.Parse(JsonSerializer.Serialize(new Dictionary<string, string>
        {
            ["SecretString"] = JsonSerializer.Serialize(
                new Dictionary<string, string> { ["username"] = "orders", ["password"] = "p@ss\"w0rd;\\ é", ["engine"] = "mysql" }),
        }));

        Assert.Equal("orders", secret.Username);
        Assert.Equal("p@ss\"w0rd;\\ é", secret.Password);
    }

    [Fact]
    public void Parse_refuses_a_secret_without_a_secret_string()
    {
        Assert.Throws<InvalidOperationException>(() => SecretsManagerSecretReader.Parse("""{"SecretString":null}"""));
        Assert.Throws<KeyNotFoundException>(() => SecretsManagerSecretReader.Parse("""{"SecretBinary":"AAEC"}"""));
    }

    [Fact]
    public void Parse_refuses_a_secret_without_password()
    {
        Assert.Throws<KeyNotFoundException>(() => SecretsManagerSecretReader.Parse("""{"SecretString":"{\"username\":\"u\"}"}"""));
        Assert.Throws<InvalidOperationException>(() => SecretsManagerSecretReader.Parse("""{"SecretString":"{\"username\":\"u\",\"password\":null}"}"""));
    }

    [Fact]
    public void ReadUserPassword_sends_a_signed_GetSecretValue_and_returns_the_secret()
    {
        using var secretsManager = new FakeSecretsManager(HttpStatusCode.OK, Response);
        using var http = new HttpClient(secretsManager);
        var credentials = new AwsCredentials("ASIAEXAMPLE", "secret", "session-token");

        var secret = new SecretsManagerSecretReader("us-east-1", credentials, http)
            .ReadUserPassword("arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf");

        Assert.Equal(new SecretsManagerSecretReader.UserPassword("u", "p"), secret);
        var request = secretsManager.Request!;
        Assert.Equal(HttpMethod.Post, request.Method);
        Assert.Equal(new Uri("https://secretsmanager.us-east-1.amazonaws.com/"), request.RequestUri);
        Assert.Equal("secretsmanager.GetSecretValue", Assert.Single(request.Headers.GetValues("x-amz-target")));
        Assert.Equal("session-token", Assert.Single(request.Headers.GetValues("x-amz-security-token")));
        Assert.Equal("application/x-amz-json-1.1", request.Content!.Headers.ContentType!.ToString());
        using (var body = JsonDocument.Parse(secretsManager.RequestBody))
        {
            Assert.Equal("arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf", body.RootElement.GetProperty("SecretId").GetString());
        }

        // The signature covers exactly what was sent: signing the same request again at the same time gives the same header.
        var amzDate = Assert.Single(request.Headers.GetValues("x-amz-date"));
        var expected = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            ["host"] = request.RequestUri!.Host,
            ["content-type"] = request.Content.Headers.ContentType.ToString(),
            ["x-amz-target"] = "secretsmanager.GetSecretValue",
        };
        SigV4Signer.Sign("POST", request.RequestUri.AbsolutePath, request.RequestUri.Query.TrimStart('?'), expected, secretsManager.RequestBody,
            "us-east-1", "secretsmanager", credentials,
            DateTime.ParseExact(amzDate, "yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture,
                DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal));
        Assert.Equal(expected["Authorization"], Assert.Single(request.Headers.GetValues("Authorization")));
        Assert.Contains("SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target,", expected["Authorization"], StringComparison.Ordinal);
    }

    [Fact]
    public void ReadUserPassword_reports_an_error_response_without_returning_a_secret()
    {
        using var secretsManager = new FakeSecretsManager(HttpStatusCode.BadRequest, """{"__type":"AccessDeniedException","Message":"not authorized"}""");
        using var http = new HttpClient(secretsManager);

        var ex = Assert.Throws<InvalidOperationException>(() =>
            new SecretsManagerSecretReader("us-east-1", new AwsCredentials("AKID", "secret", null), http).ReadUserPassword("db"));

        Assert.Contains("HTTP 400", ex.Message, StringComparison.Ordinal);
        Assert.Contains("AccessDeniedException", ex.Message, StringComparison.Ordinal);
    }
}
