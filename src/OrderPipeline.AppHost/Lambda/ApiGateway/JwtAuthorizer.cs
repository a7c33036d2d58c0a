using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace OrderPipeline.AppHost.Lambda.ApiGateway;

/// <summary>The verified token of an authorized request: what API Gateway puts in <c>requestContext.authorizer.jwt</c>.</summary>
/// <param name="Claims">The token's claims as strings (a list flattened to <c>[a b]</c>, as API Gateway passes it).</param>
/// <param name="Scopes">The token's scopes (<c>scope</c> or <c>scp</c>), or <see langword="null"/> when it has none.</param>
internal sealed record JwtAuthorization(IReadOnlyDictionary<string, string> Claims, IReadOnlyList<string>? Scopes);

/// <summary>
/// An HTTP API's JWT authorizer: the token from the <c>Authorization</c> header (with or without <c>Bearer</c>) must be
/// signed with a key of the issuer's JWKS (found through its <c>/.well-known/openid-configuration</c>), name the issuer
/// exactly in <c>iss</c>, name the audience in <c>aud</c> or <c>client_id</c>, and be within its lifetime.
/// </summary>
internal sealed class JwtAuthorizer
{
    private readonly string _issuer;
    private readonly string? _audience;
    private readonly ConfigurationManager<OpenIdConnectConfiguration> _configuration;
    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false };

    public JwtAuthorizer(string issuer, string? audience)
    {
        ArgumentException.ThrowIfNullOrEmpty(issuer);
        if (!Uri.TryCreate(issuer, UriKind.Absolute, out var issuerUri) || issuerUri.Scheme is not ("https" or "http"))
        {
            throw new ArgumentException($"The JWT issuer '{issuer}' is not an absolute HTTP(S) URL.", nameof(issuer));
        }
        _issuer = issuer;
        _audience = string.IsNullOrEmpty(audience) ? null : audience;
        // AWS wants an https issuer; a local identity provider on loopback may serve plain HTTP.
        var retriever = new HttpDocumentRetriever { RequireHttps = !issuerUri.IsLoopback };
        _configuration = new ConfigurationManager<OpenIdConnectConfiguration>(
            issuer.TrimEnd('/') + "/.well-known/openid-configuration", new OpenIdConnectConfigurationRetriever(), retriever);
    }

    /// <summary>The request's verified token, or <see langword="null"/> when it has none or an invalid one (a 401).</summary>
    public async Task<JwtAuthorization?> AuthorizeAsync(string? authorizationHeader, CancellationToken cancellationToken)
    {
        var token = TokenOf(authorizationHeader);
        if (token is null || !_handler.CanReadToken(token))
        {
            return null;
        }
        var parameters = new TokenValidationParameters
        {
            ConfigurationManager = _configuration,
            ValidIssuer = _issuer,
            ValidateAudience = false,   // aud or client_id, checked below as API Gateway does
            ValidateLifetime = true,
            RequireExpirationTime = true,
            RequireSignedTokens = true,
            ValidAlgorithms = [SecurityAlgorithms.RsaSha256, SecurityAlgorithms.RsaSha384, SecurityAlgorithms.RsaSha512],
            ClockSkew = TimeSpan.Zero,
        };
        cancellationToken.ThrowIfCancellationRequested();
        var result = await _handler.ValidateTokenAsync(token, parameters).ConfigureAwait(false);
        if (!result.IsValid || result.SecurityToken is not JsonWebToken jwt)
        {
            return null;
        }
        var claims = ClaimsOf(jwt);
        if (_audience is not null && !AudienceMatches(claims))
        {
            return null;
        }
        return new JwtAuthorization(claims, ScopesOf(claims));
    }

    private bool AudienceMatches(Dictionary<string, string> claims) =>
        (claims.TryGetValue("aud", out var aud) && Listed(aud).Contains(_audience, StringComparer.Ordinal))
        || (claims.TryGetValue("client_id", out var clientId) && clientId == _audience);

    private static string[] Listed(string value) =>
        value.StartsWith('[') && value.EndsWith(']') ? value[1..^1].Split(' ', StringSplitOptions.RemoveEmptyEntries) : [value];

    private static string? TokenOf(string? header)
    {
        if (string.IsNullOrWhiteSpace(header))
        {
            return null;
        }
        var value = header.Trim();
        return value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? value[7..].Trim() : value;
    }

    /// <summary>The payload's claims as API Gateway passes them: strings, lists as <c>[a b]</c>, objects as their JSON.</summary>
    private static Dictionary<string, string> ClaimsOf(JsonWebToken jwt)
    {
        using var payload = JsonDocument.Parse(Base64UrlEncoder.DecodeBytes(jwt.EncodedPayload));
        return payload.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => Text(p.Value), StringComparer.Ordinal);

        static string Text(JsonElement value) => value.ValueKind switch
        {
            JsonValueKind.String => value.GetString()!,
            JsonValueKind.Array => "[" + string.Join(' ', value.EnumerateArray().Select(Text)) + "]",
            _ => value.GetRawText(),
        };
    }

    private static string[]? ScopesOf(Dictionary<string, string> claims)
    {
        var value = claims.GetValueOrDefault("scope") ?? claims.GetValueOrDefault("scp");
        var scopes = value is null ? [] : value.Trim('[', ']').Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return scopes.Length > 0 ? scopes : null;
    }
}
