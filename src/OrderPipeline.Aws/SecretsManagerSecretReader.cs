using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace OrderPipeline.Aws;

/// <summary>
/// Reads a database secret (<c>{"username": ..., "password": ...}</c>, the shape RDS keeps) from AWS Secrets Manager
/// with the function role's credentials. Called once at start; the password never reaches configuration or logs.
/// </summary>
public sealed class SecretsManagerSecretReader(string region, AwsCredentials credentials, HttpClient http)
{
    /// <summary>A database secret's user and password.</summary>
    public sealed record UserPassword(string Username, string Password);

    /// <summary>A reader for the function's region (<c>AWS_REGION</c>) with the function role's credentials.</summary>
    public static SecretsManagerSecretReader FromEnvironment()
    {
        var region = Environment.GetEnvironmentVariable("AWS_REGION") ?? Environment.GetEnvironmentVariable("AWS_DEFAULT_REGION")
            ?? throw new InvalidOperationException("AWS_REGION is not set; it is needed to read the database secret.");
        return new SecretsManagerSecretReader(
            region, AwsCredentials.FromEnvironment("read the database secret"), new HttpClient { Timeout = TimeSpan.FromSeconds(10) });
    }

    /// <summary>Reads <paramref name="secretId"/> (a name or ARN) with GetSecretValue.</summary>
    /// <exception cref="InvalidOperationException">Secrets Manager refused, or the secret is not a user and password.</exception>
    public UserPassword ReadUserPassword(string secretId)
    {
        var host = $"secretsmanager.{region}.amazonaws.com";
        var body = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string> { ["SecretId"] = secretId });
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            ["host"] = host,
            ["content-type"] = "application/x-amz-json-1.1",
            ["x-amz-target"] = "secretsmanager.GetSecretValue",
        };
        SigV4Signer.Sign("POST", "/", "", headers, body, region, "secretsmanager", credentials, DateTime.UtcNow);

        using var request = new HttpRequestMessage(HttpMethod.Post, $"https://{host}/") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/x-amz-json-1.1");
        foreach (var (name, value) in headers.Where(h => !h.Key.Equals("host", StringComparison.OrdinalIgnoreCase)
            && !h.Key.Equals("content-type", StringComparison.OrdinalIgnoreCase)))
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }
        using var response = http.Send(request);
        using var reader = new StreamReader(response.Content.ReadAsStream(), Encoding.UTF8);
        var text = reader.ReadToEnd();
        if (!response.IsSuccessStatusCode)
        {
            // The error body names the problem (AccessDenied, ResourceNotFound) and never contains the secret.
            throw new InvalidOperationException($"Reading the database secret failed with HTTP {(int)response.StatusCode}: {text}");
        }
        return Parse(text);
    }

    internal static UserPassword Parse(string getSecretValueResponse)
    {
        using var outer = JsonDocument.Parse(getSecretValueResponse);
        var secretString = outer.RootElement.GetProperty("SecretString").GetString()
            ?? throw new InvalidOperationException("The database secret has no SecretString.");
        using var inner = JsonDocument.Parse(secretString);
        return new UserPassword(
            inner.RootElement.GetProperty("username").GetString() ?? throw new InvalidOperationException("The database secret has no username."),
            inner.RootElement.GetProperty("password").GetString() ?? throw new InvalidOperationException("The database secret has no password."));
    }
}
