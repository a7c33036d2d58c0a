using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using OrderPipeline.AppHost;
using OrderPipeline.AppHost.Lambda;
using OrderPipeline.AppHost.Lambda.ApiGateway;

namespace Aspire.Hosting;

/// <summary>
/// Provides extension methods for adding a local API Gateway HTTP API in front of Lambda functions to an
/// <see cref="IDistributedApplicationBuilder"/>. The shape follows the AWS integration for Aspire
/// (<c>AddAWSAPIGatewayEmulator(name, APIGatewayType.HttpV2).WithReference(function, Method.Post, "/path")</c>), so that
/// its package can take this one's place.
/// </summary>
public static class ApiGatewayEmulatorBuilderExtensions
{
    /// <summary>
    /// Adds an API Gateway HTTP API to the application model: a server in the AppHost's process on a loopback port that
    /// serves only the routes <see cref="WithRoute"/> gives it, as AWS serves them. It starts once its functions run.
    /// </summary>
    /// <param name="builder">The <see cref="IDistributedApplicationBuilder"/>.</param>
    /// <param name="name">The name of the resource.</param>
    /// <param name="port">The loopback port for the gateway. If <see langword="null"/> a free port is chosen.</param>
    /// <param name="options">The integration timeout and the JWT authorizer. If <see langword="null"/>, a 30 s timeout and no
    /// authorizer: every route is open, and the AppHost says so when the gateway starts.</param>
    /// <returns>A reference to the <see cref="IResourceBuilder{T}"/>.</returns>
    public static IResourceBuilder<ApiGatewayEmulatorResource> AddApiGatewayEmulator(this IDistributedApplicationBuilder builder,
        [ResourceName] string name, int? port = null, ApiGatewayEmulatorOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(name);
        options ??= new ApiGatewayEmulatorOptions();
        if (options.IntegrationTimeout < TimeSpan.FromMilliseconds(50) || options.IntegrationTimeout > TimeSpan.FromSeconds(30))
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.IntegrationTimeout,
                "An HTTP API's integration timeout is between 50 ms and 30 s (TimeoutInMillis).");
        }
        if (!string.IsNullOrEmpty(options.JwtIssuer) && !Uri.TryCreate(options.JwtIssuer, UriKind.Absolute, out _))
        {
            throw new ArgumentException($"The JWT issuer '{options.JwtIssuer}' is not an absolute URL.", nameof(options));
        }

        var gateway = new ApiGatewayEmulatorResource(name, options);
        // Chosen now, so that the endpoint names its port before the gateway starts (only a local run listens).
        if (builder.ExecutionContext.IsRunMode)
        {
            port ??= LoopbackPort.PickFree();
        }

        builder.Services.TryAddSingleton<LambdaFunctions>();
        var healthCheckKey = $"{name}_check";
        builder.Services.AddHealthChecks().Add(
            new HealthCheckRegistration(healthCheckKey, _ => new ApiGatewayHealthCheck(gateway), failureStatus: null, tags: null));

        return builder.AddResource(gateway)
            // Not proxied, and on loopback only: the server itself listens on the port.
            .WithHttpEndpoint(port: port, targetPort: port, name: ApiGatewayEmulatorResource.PrimaryEndpointName, isProxied: false)
            .OnInitializeResource((resource, @event, initializeCancellation) =>
            {
                var stopping = @event.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
                _ = ApiGatewayEmulatorLifecycle.RunAsync(resource, @event, stopping);
                return Task.CompletedTask;
            })
            .WithInitialState(new CustomResourceSnapshot
            {
                ResourceType = ApiGatewayEmulatorLifecycle.ResourceType,
                State = KnownResourceStates.NotStarted,
                Properties = [],
            })
            .WithHealthCheck(healthCheckKey)
            .WithIconName("GlobeArrowForward")
            // The deployed gateway is infra/template.yaml's HttpApi: nothing of this one goes into a manifest.
            .ExcludeFromManifest();
    }

    /// <summary>
    /// Adds a route to the gateway: requests with <paramref name="method"/> whose path matches
    /// <paramref name="pathTemplate"/> go to <paramref name="function"/> (a Lambda proxy integration, payload format 2.0).
    /// The gateway waits for the function to run before it starts.
    /// </summary>
    /// <param name="builder">The builder for the <see cref="ApiGatewayEmulatorResource"/>.</param>
    /// <param name="function">The function that takes the route's requests.</param>
    /// <param name="method">The HTTP method of the route.</param>
    /// <param name="pathTemplate">The path, e.g. <c>/api/orders/{order_id}</c>: a <c>{name}</c> segment takes any one segment,
    /// a last <c>{name+}</c> the rest of the path.</param>
    /// <param name="options">The route's throttling and whether it is behind the JWT authorizer. If <see langword="null"/>,
    /// not throttled and behind the authorizer (when the gateway has one).</param>
    /// <returns>A reference to the <see cref="IResourceBuilder{T}"/>.</returns>
    public static IResourceBuilder<ApiGatewayEmulatorResource> WithRoute(this IResourceBuilder<ApiGatewayEmulatorResource> builder,
        IResourceBuilder<LambdaFunctionResource> function, HttpMethod method, string pathTemplate, ApiGatewayRouteOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(function);
        ArgumentNullException.ThrowIfNull(method);
        ArgumentException.ThrowIfNullOrEmpty(pathTemplate);
        options ??= new ApiGatewayRouteOptions();
        if (options.ThrottlingRateLimit.HasValue != options.ThrottlingBurstLimit.HasValue)
        {
            throw new ArgumentException("A throttled route has both a rate limit and a burst limit.", nameof(options));
        }
        if (options.ThrottlingRateLimit < 0 || options.ThrottlingBurstLimit < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "A throttling limit is not negative.");
        }
        RouteTemplate.Parse(pathTemplate);   // throws for a malformed template

        var route = new ApiGatewayRoute(method, pathTemplate, function.Resource, options);
        if (builder.Resource.Routes.Any(r => r.RouteKey == route.RouteKey))
        {
            throw new ArgumentException($"The gateway {builder.Resource.Name} has a route {route.RouteKey} already.", nameof(pathTemplate));
        }
        builder.Resource.AddRoute(route);
        var waits = builder.Resource.Annotations.OfType<WaitAnnotation>().Any(w => w.Resource == function.Resource);
        return waits ? builder : builder.WaitFor(function).WithReferenceRelationship(function);
    }
}
