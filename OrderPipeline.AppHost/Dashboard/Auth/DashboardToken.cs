using System.Security.Cryptography;
using System.Text;

namespace OrderPipeline.AppHost.Dashboard.Auth;

/// <summary>
/// The per-run secrets: the login token a person gets in the printed URL, and the session value the login
/// exchanges it for (kept in an HttpOnly cookie, so the token itself never sits in the browser's cookie jar).
/// </summary>
public sealed class DashboardToken
{
    public string Value { get; } = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    internal string Session { get; } = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

    public bool Matches(string? candidate) => FixedTimeEquals(candidate, Value);

    internal bool MatchesSession(string? candidate) => FixedTimeEquals(candidate, Session);

    private static bool FixedTimeEquals(string? candidate, string expected) =>
        candidate is not null && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(candidate), Encoding.UTF8.GetBytes(expected));
}
