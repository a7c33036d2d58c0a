using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// An RDS IAM authentication token: the password a database user created <c>IDENTIFIED WITH AWSAuthenticationPlugin</c>
/// signs in with. It is a Signature Version 4 presigned request for the <c>rds-db</c> service's <c>connect</c> action
/// on <c>host:port</c> for one user, without its scheme: <c>host:port/?Action=connect&amp;DBUser=...&amp;X-Amz-...</c>.
/// It is made locally from the role's credentials (no call to AWS) and is accepted for 15 minutes; a connection opened
/// with it stays open after that.
/// </summary>
internal static class RdsAuthToken
{
    /// <summary>How long RDS accepts a token (X-Amz-Expires; 900 s is the most it allows).</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(15);

    private const string Service = "rds-db";
    private const string Algorithm = "AWS4-HMAC-SHA256";

    // SHA-256 of the empty payload: a presigned GET carries no body.
    private static readonly string EmptyPayloadHash = Convert.ToHexStringLower(SHA256.HashData([]));

    public static string Generate(string host, int port, string user, string region, SigV4Signer.Credentials credentials, DateTime utcNow)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(host);
        ArgumentException.ThrowIfNullOrWhiteSpace(user);
        ArgumentException.ThrowIfNullOrWhiteSpace(region);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(port);

        var amzDate = utcNow.ToUniversalTime().ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        var date = amzDate[..8];
        var scope = $"{date}/{region}/{Service}/aws4_request";
        var hostAndPort = $"{host}:{port.ToString(CultureInfo.InvariantCulture)}";

        // The query is the signed part: every parameter, sorted by name (byte order), names and values percent-encoded
        // as RFC 3986 asks (only A-Z a-z 0-9 - _ . ~ stay as they are). A session token is signed too.
        var parameters = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["Action"] = "connect",
            ["DBUser"] = user,
            ["X-Amz-Algorithm"] = Algorithm,
            ["X-Amz-Credential"] = $"{credentials.AccessKeyId}/{scope}",
            ["X-Amz-Date"] = amzDate,
            ["X-Amz-Expires"] = ((int)Lifetime.TotalSeconds).ToString(CultureInfo.InvariantCulture),
            ["X-Amz-SignedHeaders"] = "host",
        };
        if (!string.IsNullOrEmpty(credentials.SessionToken))
        {
            parameters["X-Amz-Security-Token"] = credentials.SessionToken;
        }
        var query = string.Join('&', parameters.Select(p => $"{Uri.EscapeDataString(p.Key)}={Uri.EscapeDataString(p.Value)}"));

        var canonicalRequest = string.Join('\n', "GET", "/", query, $"host:{hostAndPort}\n", "host", EmptyPayloadHash);
        var stringToSign = string.Join('\n', Algorithm, amzDate, scope, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonicalRequest))));

        var key = Hmac(Encoding.UTF8.GetBytes("AWS4" + credentials.SecretAccessKey), date);
        key = Hmac(key, region);
        key = Hmac(key, Service);
        key = Hmac(key, "aws4_request");
        var signature = Convert.ToHexStringLower(Hmac(key, stringToSign));

        return $"{hostAndPort}/?{query}&X-Amz-Signature={signature}";
    }

    private static byte[] Hmac(byte[] key, string data) => HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(data));
}
