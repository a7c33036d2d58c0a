using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace OrderPipeline.AppHost.Lambda.ApiGateway;

/// <summary>Healthy once the gateway's server listens (it runs in the AppHost's process: listening is all it needs).</summary>
internal sealed class ApiGatewayHealthCheck(ApiGatewayEmulatorResource gateway) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(gateway.Server is { IsListening: true } server
            ? HealthCheckResult.Healthy($"Listening on {server.Url}")
            : HealthCheckResult.Unhealthy("The gateway is not listening."));
}
