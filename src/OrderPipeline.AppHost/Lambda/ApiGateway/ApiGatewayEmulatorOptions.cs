namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// The configuration of an <see cref="ApiGatewayEmulatorResource"/>: what its <c>AWS::ApiGatewayV2::Integration</c> and
/// <c>AWS::ApiGatewayV2::Authorizer</c> say in AWS.
/// </summary>
public sealed record ApiGatewayEmulatorOptions
{
    /// <summary>
    /// Gets how long the gateway waits for a function's answer (<c>TimeoutInMillis</c>; 30 s, the most an HTTP API
    /// allows). The invocation goes on after the gateway has given up, as it does in AWS.
    /// </summary>
    public TimeSpan IntegrationTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Gets the issuer of the JWT authorizer (<c>JwtConfiguration.Issuer</c>): its tokens' signatures are checked with the
    /// keys its OpenID Connect discovery document names. <see langword="null"/> for no authorizer: every route is open.
    /// </summary>
    public string? JwtIssuer { get; init; }

    /// <summary>
    /// Gets the audience a token must name in <c>aud</c> or <c>client_id</c> (<c>JwtConfiguration.Audience</c>), or
    /// <see langword="null"/> to take any audience.
    /// </summary>
    public string? JwtAudience { get; init; }
}

/// <summary>The settings of one route of an <see cref="ApiGatewayEmulatorResource"/>, as its stage's <c>RouteSettings</c> give them.</summary>
public sealed record ApiGatewayRouteOptions
{
    /// <summary>
    /// Gets the steady rate, in requests per second, the route's token bucket refills at (<c>ThrottlingRateLimit</c>), or
    /// <see langword="null"/> for a route that is not throttled. Set together with <see cref="ThrottlingBurstLimit"/>.
    /// </summary>
    public double? ThrottlingRateLimit { get; init; }

    /// <summary>
    /// Gets how many requests the route's token bucket holds (<c>ThrottlingBurstLimit</c>), or <see langword="null"/> for
    /// a route that is not throttled. Set together with <see cref="ThrottlingRateLimit"/>.
    /// </summary>
    public int? ThrottlingBurstLimit { get; init; }

    /// <summary>
    /// Gets whether the route is behind the gateway's JWT authorizer (<c>AuthorizationType: JWT</c>). It has no effect on
    /// a gateway without <see cref="ApiGatewayEmulatorOptions.JwtIssuer"/>, which has no authorizer.
    /// </summary>
    public bool RequiresJwt { get; init; } = true;
}

/// <summary>A route of an <see cref="ApiGatewayEmulatorResource"/>: the requests it takes and the function they go to.</summary>
/// <param name="Method">The HTTP method the route takes.</param>
/// <param name="PathTemplate">The path, with <c>{name}</c> segments that take any one segment and a last <c>{name+}</c>
/// that takes the rest of the path.</param>
/// <param name="Function">The function the route's requests are forwarded to (a Lambda proxy integration, payload 2.0).</param>
/// <param name="Options">The route's throttling and authorization.</param>
public sealed record ApiGatewayRoute(HttpMethod Method, string PathTemplate, LambdaFunctionResource Function, ApiGatewayRouteOptions Options)
{
    /// <summary>Gets the HTTP method the route takes.</summary>
    public HttpMethod Method { get; init; } = Method ?? throw new ArgumentNullException(nameof(Method));

    /// <summary>Gets the route's path template.</summary>
    public string PathTemplate { get; init; } = !string.IsNullOrEmpty(PathTemplate)
        ? PathTemplate
        : throw new ArgumentException("No path template.", nameof(PathTemplate));

    /// <summary>Gets the function the route's requests are forwarded to.</summary>
    public LambdaFunctionResource Function { get; init; } = Function ?? throw new ArgumentNullException(nameof(Function));

    /// <summary>Gets the route's throttling and authorization.</summary>
    public ApiGatewayRouteOptions Options { get; init; } = Options ?? throw new ArgumentNullException(nameof(Options));

    /// <summary>Gets the route key, as API Gateway names the route: <c>POST /api/orders</c>.</summary>
    public string RouteKey => $"{Method.Method} {PathTemplate}";
}
