using System.Collections.Immutable;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace OrderPipeline.AppHost.Lambda.ApiGateway;

/// <summary>
/// Runs a gateway for the AppHost: waits for its functions, starts its server, publishes its state, URL and counts to the
/// dashboard, and stops it with the AppHost.
/// </summary>
internal static class ApiGatewayEmulatorLifecycle
{
    public const string ResourceType = "API Gateway (HTTP API)";

    private static readonly TimeSpan StatisticsInterval = TimeSpan.FromSeconds(2);

    public static async Task RunAsync(ApiGatewayEmulatorResource gateway, InitializeResourceEvent @event, CancellationToken stopping)
    {
        var notifications = @event.Notifications;
        var logger = @event.Logger;
        var endpoint = gateway.Annotations.OfType<EndpointAnnotation>().Single(e => e.Name == ApiGatewayEmulatorResource.PrimaryEndpointName);
        ApiGatewayServer? server = null;
        try
        {
            await notifications.PublishUpdateAsync(gateway, s => s with
            {
                State = KnownResourceStates.Waiting,
                Properties = Describe(s.Properties, gateway),
            }).ConfigureAwait(false);
            await notifications.WaitForDependenciesAsync(gateway, stopping).ConfigureAwait(false);
            await notifications.PublishUpdateAsync(gateway, s => s with { State = KnownResourceStates.Starting }).ConfigureAwait(false);

            if (string.IsNullOrEmpty(gateway.Options.JwtIssuer))
            {
                const string Open = "The API gateway {Gateway} has no JWT authorizer (no issuer is configured): every route is open to anyone "
                    + "who can reach it";
                logger.LogWarning(Open, gateway.Name);
                @event.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ApiGatewayEmulatorLifecycle)).LogWarning(Open, gateway.Name);
            }

            var functions = @event.Services.GetRequiredService<LambdaFunctions>();
            var byName = gateway.Routes.Select(r => r.Function).Distinct().ToDictionary(f => f.Name, StringComparer.Ordinal);
            var port = endpoint.TargetPort ?? endpoint.Port
                ?? throw new InvalidOperationException($"The gateway {gateway.Name} has no port.");
            server = new ApiGatewayServer(gateway.Name, gateway.Routes, gateway.Options, name => functions.InvokerFor(byName[name]), port, logger);
            await server.StartAsync(stopping).ConfigureAwait(false);
            if (endpoint.AllocatedEndpoint is null)
            {
                endpoint.AllocatedEndpoint = new AllocatedEndpoint(endpoint, "127.0.0.1", port);
            }
            gateway.Server = server;
            var url = server.Url.ToString().TrimEnd('/');
            logger.LogInformation("Listening on {Url}: {Routes}", url, string.Join(", ", gateway.Routes.Select(r => $"{r.RouteKey} -> {r.Function.Name}")));
            var statistics = server.Statistics;
            await notifications.PublishUpdateAsync(gateway, s => s with
            {
                State = KnownResourceStates.Running,
                StartTimeStamp = DateTime.UtcNow,
                Urls = [new UrlSnapshot(ApiGatewayEmulatorResource.PrimaryEndpointName, url, IsInternal: false)],
                Properties = WithStatistics(s.Properties, statistics),
            }).ConfigureAwait(false);

            using var timer = new PeriodicTimer(StatisticsInterval);
            while (await timer.WaitForNextTickAsync(stopping).ConfigureAwait(false))
            {
                var now = server.Statistics;
                if (now != statistics)
                {
                    statistics = now;
                    await notifications.PublishUpdateAsync(gateway, s => s with { Properties = WithStatistics(s.Properties, now) }).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // The AppHost is stopping.
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "The API gateway {Gateway} failed: {Message}", gateway.Name, ex.Message);
            await notifications.PublishUpdateAsync(gateway, s => s with { State = KnownResourceStates.FailedToStart }).ConfigureAwait(false);
        }
        finally
        {
            gateway.Server = null;
            if (server is not null)
            {
                await server.DisposeAsync().ConfigureAwait(false);
                await notifications.PublishUpdateAsync(gateway, s => s with
                {
                    State = stopping.IsCancellationRequested ? KnownResourceStates.Finished : KnownResourceStates.Exited,
                    StopTimeStamp = DateTime.UtcNow,
                }).ConfigureAwait(false);
            }
        }
    }

    public static ImmutableArray<ResourcePropertySnapshot> Describe(ImmutableArray<ResourcePropertySnapshot> properties, ApiGatewayEmulatorResource gateway) =>
        properties
            .With("gateway.routes", "Routes", string.Join("; ", gateway.Routes.Select(r => Describe(r, gateway))), highlighted: true, sortOrder: 1)
            .With("gateway.authorizer", "Authorizer", string.IsNullOrEmpty(gateway.Options.JwtIssuer)
                ? "none (open)"
                : $"JWT from {gateway.Options.JwtIssuer} for {gateway.Options.JwtAudience ?? "any audience"}", sortOrder: 7)
            .With("gateway.integrationTimeout", "Integration timeout",
                $"{gateway.Options.IntegrationTimeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s", sortOrder: 8);

    private static ImmutableArray<ResourcePropertySnapshot> WithStatistics(
        ImmutableArray<ResourcePropertySnapshot> properties, ApiGatewayStatistics statistics) =>
        properties
            .With("gateway.requests", "Requests", Count(statistics.Requests), highlighted: true, sortOrder: 2)
            .With("gateway.4xx", "4xx", Count(statistics.ClientErrors), highlighted: true, sortOrder: 3)
            .With("gateway.5xx", "5xx", Count(statistics.ServerErrors), highlighted: true, sortOrder: 4)
            .With("gateway.throttled", "Throttled (429)", Count(statistics.Throttled), highlighted: true, sortOrder: 5);

    private static string Describe(ApiGatewayRoute route, ApiGatewayEmulatorResource gateway)
    {
        var authorized = route.Options.RequiresJwt && !string.IsNullOrEmpty(gateway.Options.JwtIssuer);
        var limits = route.Options is { ThrottlingRateLimit: { } rate, ThrottlingBurstLimit: { } burst }
            ? $", {rate.ToString(CultureInfo.InvariantCulture)}/s burst {burst.ToString(CultureInfo.InvariantCulture)}"
            : "";
        return $"{route.RouteKey} -> {route.Function.Name}{(authorized ? ", JWT" : "")}{limits}";
    }

    private static string Count(long value) => value.ToString(CultureInfo.InvariantCulture);
}
