namespace OrderPipeline.Api.Authentication;

/// <summary>Who may call the Api, bound to <c>Auth</c>. With nothing set the Api is open, and says so at start.</summary>
public sealed record AuthOptions
{
    public const string SectionName = "Auth";

    /// <summary>An OpenID Connect issuer whose signed JWTs the Api checks itself (its keys are fetched from the issuer).</summary>
    public string? Authority { get; init; }

    /// <summary>The audience the tokens must name; also checked on claims forwarded by API Gateway.</summary>
    public string? Audience { get; init; }

    /// <summary>
    /// In AWS: API Gateway's JWT authorizer has checked the token, and the Lambda Web Adapter forwards its claims in the
    /// <c>x-amzn-request-context</c> header. Only safe where API Gateway is the only way in (no function URL).
    /// </summary>
    public bool TrustApiGatewayClaims { get; init; }

    /// <summary>The issuer the forwarded claims must name (API Gateway checked it too; this keeps a second stack's tokens out).</summary>
    public string? Issuer { get; init; }

    /// <summary>
    /// Whether a caller needs a JWT: the Api checks it itself (<see cref="Authority"/>) or API Gateway did
    /// (<see cref="TrustApiGatewayClaims"/>).
    /// </summary>
    public bool RequiresToken => !string.IsNullOrEmpty(Authority) || TrustApiGatewayClaims;
}
