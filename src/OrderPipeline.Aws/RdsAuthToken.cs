using System.Globalization;

namespace OrderPipeline.Aws;

/// <summary>
/// An RDS IAM authentication token: the password a database user created <c>IDENTIFIED WITH AWSAuthenticationPlugin</c>
/// signs in with. It is a Signature Version 4 presigned request for the <c>rds-db</c> service's <c>connect</c> action
/// on <c>host:port</c> for one user, without its scheme: <c>host:port/?Action=connect&amp;DBUser=...&amp;X-Amz-...</c>.
/// It is made locally from the role's credentials (no call to AWS) and is accepted for 15 minutes; a connection opened
/// with it stays open after that.
/// </summary>
public static class RdsAuthToken
{
    /// <summary>How long RDS accepts a token (X-Amz-Expires; 900 s is the most it allows).</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(15);

    private const string Service = "rds-db";

    // SHA-256 of the empty payload: a presigned GET carries no body.
    private static readonly string EmptyPayloadHash = SigV4Signer.Hash([]);

    /// <summary>A token for <paramref name="user"/> on <paramref name="host"/>:<paramref name="port"/>, signed at <paramref name="utcNow"/>.</summary>
    /// <param name="host">The database endpoint (RDS Proxy's, in this stack).</param>
    /// <param name="port">Its port.</param>
    /// <param name="user">The database user, created with the AWS authentication plugin.</param>
    /// <param name="region">The database's region.</param>
    /// <param name="credentials">The role's credentials that sign it.</param>
    /// <param name="utcNow">The signing time; the token is accepted for <see cref="Lifetime"/> after it.</param>
    /// <returns>The token, to be sent as the password.</returns>
    public static string Generate(string host, int port, string user, string region, AwsCredentials credentials, DateTime utcNow)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(host);
        ArgumentException.ThrowIfNullOrWhiteSpace(user);
        ArgumentException.ThrowIfNullOrWhiteSpace(region);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(port);
        ArgumentNullException.ThrowIfNull(credentials);

        var amzDate = SigV4Signer.AmzDate(utcNow);
        var hostAndPort = $"{host}:{port.ToString(CultureInfo.InvariantCulture)}";

        // The query is the signed part: every parameter, sorted by name (byte order), names and values percent-encoded
        // as RFC 3986 asks (only A-Z a-z 0-9 - _ . ~ stay as they are). A session token is signed too.
        var parameters = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["Action"] = "connect",
            ["DBUser"] = user,
            ["X-Amz-Algorithm"] = SigV4Signer.Algorithm,
            ["X-Amz-Credential"] = $"{credentials.AccessKeyId}/{SigV4Signer.Scope(amzDate, region, Service)}",
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
        var signature = SigV4Signer.Signature(canonicalRequest, amzDate, region, Service, credentials.SecretAccessKey);
        return $"{hostAndPort}/?{query}&X-Amz-Signature={signature}";
    }
}
