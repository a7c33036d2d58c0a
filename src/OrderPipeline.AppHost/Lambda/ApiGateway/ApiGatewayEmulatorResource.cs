using OrderPipeline.AppHost.Lambda.ApiGateway;

namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// An API Gateway HTTP API run locally as AWS runs it: only its routes answer, each throttled by a token bucket and, with
/// an issuer, behind a JWT authorizer; a route's requests go to its Lambda function as a proxy integration (payload 2.0)
/// through the Lambda Web Adapter's HTTP shape, and the function's failures come back as API Gateway reports them. The
/// server runs in the AppHost's process on a loopback port.
/// </summary>
/// <param name="name">The name of the resource.</param>
/// <param name="options">The gateway's integration timeout and authorizer.</param>
public sealed class ApiGatewayEmulatorResource(string name, ApiGatewayEmulatorOptions options)
    : Resource(name), IResourceWithEndpoints, IResourceWithWaitSupport
{
    internal const string PrimaryEndpointName = "http";

    private readonly List<ApiGatewayRoute> _routes = [];

    /// <summary>Gets the gateway's integration timeout and authorizer.</summary>
    public ApiGatewayEmulatorOptions Options { get; } = options ?? throw new ArgumentNullException(nameof(options));

    /// <summary>Gets the gateway's HTTP endpoint, the base URL of its routes (the stage <c>$default</c>).</summary>
    public EndpointReference PrimaryEndpoint => field ??= new(this, PrimaryEndpointName);

    /// <summary>Gets the gateway's routes, in the order they were added.</summary>
    public IReadOnlyList<ApiGatewayRoute> Routes => _routes;

    /// <summary>The running server, once it listens; what the health check asks.</summary>
    internal ApiGatewayServer? Server { get; set; }

    internal void AddRoute(ApiGatewayRoute route) => _routes.Add(route);
}
