using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace OrderPipeline.Aws;

/// <summary>
/// AWS Signature Version 4, the one implementation for both of its forms: headers on a request
/// (<see cref="Sign"/>, for Secrets Manager) and a presigned query (<see cref="RdsAuthToken"/>). The SDK's signer is
/// internal to each of its clients, and the services use no AWS SDK but SQS's.
/// </summary>
public static class SigV4Signer
{
    /// <summary>The algorithm's name, as it appears in an Authorization header and an <c>X-Amz-Algorithm</c> parameter.</summary>
    public const string Algorithm = "AWS4-HMAC-SHA256";

    /// <summary>The request time in the basic ISO 8601 form SigV4 signs (<c>yyyyMMddTHHmmssZ</c>).</summary>
    public static string AmzDate(DateTime utcNow) =>
        utcNow.ToUniversalTime().ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);

    /// <summary>The credential scope: <c>date/region/service/aws4_request</c>, the date taken from <paramref name="amzDate"/>.</summary>
    public static string Scope(string amzDate, string region, string service)
    {
        ArgumentException.ThrowIfNullOrEmpty(amzDate);
        return $"{amzDate[..8]}/{region}/{service}/aws4_request";
    }

    /// <summary>Lower-case hex SHA-256, as SigV4 hashes payloads and canonical requests.</summary>
    public static string Hash(ReadOnlySpan<byte> data) => Convert.ToHexStringLower(SHA256.HashData(data));

    /// <summary>The signature of <paramref name="canonicalRequest"/>: the string to sign, HMAC'd with the derived key.</summary>
    public static string Signature(string canonicalRequest, string amzDate, string region, string service, string secretAccessKey)
    {
        ArgumentNullException.ThrowIfNull(canonicalRequest);
        ArgumentException.ThrowIfNullOrEmpty(secretAccessKey);
        var scope = Scope(amzDate, region, service);
        var stringToSign = string.Join('\n', Algorithm, amzDate, scope, Hash(Encoding.UTF8.GetBytes(canonicalRequest)));
        var key = Hmac(Encoding.UTF8.GetBytes("AWS4" + secretAccessKey), amzDate[..8]);
        key = Hmac(key, region);
        key = Hmac(key, service);
        key = Hmac(key, "aws4_request");
        return Convert.ToHexStringLower(Hmac(key, stringToSign));
    }

    /// <summary>Adds x-amz-date, x-amz-security-token and Authorization to <paramref name="headers"/>.</summary>
    /// <param name="method">The HTTP method.</param>
    /// <param name="path">The canonical (already encoded) path.</param>
    /// <param name="query">The canonical query string, empty if none.</param>
    /// <param name="headers">Every header to sign, host included; names in any case.</param>
    /// <param name="body">The request body, hashed into the signature.</param>
    /// <param name="region">The region of the endpoint.</param>
    /// <param name="service">The service's signing name, e.g. <c>secretsmanager</c>.</param>
    /// <param name="credentials">The key pair, and a session token if any.</param>
    /// <param name="utcNow">The request time.</param>
    public static void Sign(
        string method, string path, string query, IDictionary<string, string> headers, byte[] body,
        string region, string service, AwsCredentials credentials, DateTime utcNow)
    {
        ArgumentNullException.ThrowIfNull(headers);
        ArgumentNullException.ThrowIfNull(body);
        ArgumentNullException.ThrowIfNull(credentials);
        var amzDate = AmzDate(utcNow);
        headers["x-amz-date"] = amzDate;
        if (!string.IsNullOrEmpty(credentials.SessionToken))
        {
            headers["x-amz-security-token"] = credentials.SessionToken;
        }

        var signed = headers
            .Select(h => (Name: h.Key.ToLowerInvariant(), Value: h.Value.Trim()))
            .OrderBy(h => h.Name, StringComparer.Ordinal)
            .ToList();
        var signedHeaders = string.Join(';', signed.Select(h => h.Name));
        var canonicalRequest = string.Join('\n',
            method, path, query, string.Concat(signed.Select(h => $"{h.Name}:{h.Value}\n")), signedHeaders, Hash(body));
        var signature = Signature(canonicalRequest, amzDate, region, service, credentials.SecretAccessKey);
        headers["Authorization"] =
            $"{Algorithm} Credential={credentials.AccessKeyId}/{Scope(amzDate, region, service)}, SignedHeaders={signedHeaders}, Signature={signature}";
    }

    private static byte[] Hmac(byte[] key, string data) => HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(data));
}
