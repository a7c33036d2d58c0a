using Microsoft.Extensions.Hosting;
using OrderPipeline.Aws;

namespace OrderPipeline.UnitTests;

[Trait("Category", "Unit")]
public sealed class SigV4SignerTests
{
    private static readonly AwsCredentials Example = new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", null);
    private static readonly DateTime ExampleTime = new(2015, 8, 30, 12, 36, 0, DateTimeKind.Utc);

    private static Dictionary<string, string> ExampleHeaders() => new(StringComparer.OrdinalIgnoreCase)
    {
        ["content-type"] = "application/x-www-form-urlencoded; charset=utf-8",
        ["host"] = "iam.amazonaws.com",
    };

    private static Dictionary<string, string> SignExample(IDictionary<string, string>? headers = null, AwsCredentials? credentials = null)
    {
        var signed = new Dictionary<string, string>(headers ?? ExampleHeaders(), StringComparer.OrdinalIgnoreCase);
        SigV4Signer.Sign("GET", "/", "Action=ListUsers&Version=2010-05-08", signed, [], "us-east-1", "iam", credentials ?? Example, ExampleTime);
        return signed;
    }

    private static string Signature(IDictionary<string, string> headers) =>
        headers["Authorization"][(headers["Authorization"].IndexOf("Signature=", StringComparison.Ordinal) + "Signature=".Length)..];

    [Fact]
    public void Signs_the_aws_documented_iam_ListUsers_example()
    {
        var headers = SignExample();

        Assert.Equal(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, " +
            "Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7",
            headers["Authorization"]);
    }

    [Fact]
    public void Adds_x_amz_date_in_basic_iso_8601()
    {
        Assert.Equal("20150830T123600Z", SignExample()["x-amz-date"]);
    }

    [Fact]
    public void Does_not_add_a_security_token_without_a_session_token()
    {
        var headers = SignExample();

        Assert.False(headers.ContainsKey("x-amz-security-token"));
        Assert.Equal(4, headers.Count);
    }

    [Fact]
    public void Adds_and_signs_the_session_token()
    {
        var withToken = SignExample(credentials: Example with { SessionToken = "FwoGZXIvYXdzEXAMPLETOKEN" });

        Assert.Equal("FwoGZXIvYXdzEXAMPLETOKEN", withToken["x-amz-security-token"]);
        Assert.Contains("SignedHeaders=content-type;host;x-amz-date;x-amz-security-token,", withToken["Authorization"], StringComparison.Ordinal);
        Assert.NotEqual(Signature(SignExample()), Signature(withToken));
    }

    [Fact]
    public void Signs_header_names_in_any_case_and_trims_values_alike()
    {
        var mixedCase = SignExample(new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["Content-Type"] = "  application/x-www-form-urlencoded; charset=utf-8 ",
            ["Host"] = "iam.amazonaws.com",
        });

        Assert.Equal(SignExample()["Authorization"], mixedCase["Authorization"]);
    }

    [Fact]
    public void Changes_the_signature_with_the_body_the_time_the_region_and_the_secret()
    {
        var baseline = Signature(SignExample());
        string SignWith(byte[] body, DateTime time, string region, AwsCredentials credentials)
        {
            var headers = ExampleHeaders();
            SigV4Signer.Sign("GET", "/", "Action=ListUsers&Version=2010-05-08", headers, body, region, "iam", credentials, time);
            return Signature(headers);
        }

        Assert.Equal(baseline, SignWith([], ExampleTime, "us-east-1", Example));
        Assert.NotEqual(baseline, SignWith([1], ExampleTime, "us-east-1", Example));
        Assert.NotEqual(baseline, SignWith([], ExampleTime.AddSeconds(1), "us-east-1", Example));
        Assert.NotEqual(baseline, SignWith([], ExampleTime, "eu-west-1", Example));
        Assert.NotEqual(baseline, SignWith([], ExampleTime, "us-east-1", Example with { SecretAccessKey = "other" }));
    }

    [Fact]
    public void Puts_the_access_key_and_scope_in_the_credential()
    {
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["host"] = "secretsmanager.eu-west-1.amazonaws.com" };

        SigV4Signer.Sign("POST", "/", "", headers, "{}"u8.ToArray(), "eu-west-1", "secretsmanager",
            new AwsCredentials("ASIAEXAMPLE", "secret", null), new DateTime(2024, 2, 29, 23, 59, 59, DateTimeKind.Utc));

        Assert.StartsWith(
            "AWS4-HMAC-SHA256 Credential=ASIAEXAMPLE/20240229/eu-west-1/secretsmanager/aws4_request, SignedHeaders=host;x-amz-date, Signature=",
            headers["Authorization"], StringComparison.Ordinal);
        Assert.Matches("Signature=[0-9a-f]{64}$", headers["Authorization"]);
    }
}
