namespace Aspire.Hosting;

/// <summary>
/// Provides extension methods for the system's long-running services.
/// </summary>
public static class ServiceResourceBuilderExtensions
{
    // Each queue holds four batches, so that spans and records keep queueing while a full batch is sent.
    private static readonly (string Name, string Value)[] TelemetryBatching =
    [
        ("OTEL_METRIC_EXPORT_INTERVAL", "5000"),
        ("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "2048"),
        ("OTEL_BSP_MAX_QUEUE_SIZE", "8192"),
        ("OTEL_BLRP_MAX_EXPORT_BATCH_SIZE", "2048"),
        ("OTEL_BLRP_MAX_QUEUE_SIZE", "8192"),
    ];

    /// <summary>
    /// Makes the project one of the system's long-running services: its built program run directly
    /// (<see cref="BuiltProgramResourceBuilderExtensions.WithBuiltProgram"/>), plain HTTP without a development
    /// certificate (TLS ends in front of the services in AWS), healthy when <c>/health</c> answers on its "http"
    /// endpoint, started once <paramref name="migrations"/> has completed successfully, and started again when it
    /// exits on its own (<see cref="AutoRestartExtensions.WithAutoRestart"/>), its traces sampled as the AppHost's
    /// <c>OTEL_TRACES_SAMPLER</c> says when it says, its telemetry exported as <see cref="WithTelemetryBatching{T}"/> says.
    /// </summary>
    /// <param name="builder">The builder for the <see cref="ProjectResource"/>, which has an HTTP endpoint named "http".</param>
    /// <param name="migrations">The one-shot resource that applies the schema.</param>
    /// <returns>A reference to the <see cref="IResourceBuilder{T}"/>.</returns>
    /// <exception cref="InvalidOperationException">The project has no endpoint named "http" (add it first, with <c>WithHttpEndpoint</c>).</exception>
    public static IResourceBuilder<ProjectResource> AsService(this IResourceBuilder<ProjectResource> builder, IResourceBuilder<IResource> migrations)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(migrations);
        if (!builder.Resource.Annotations.OfType<EndpointAnnotation>().Any(e => e.Name == "http"))
        {
            throw new InvalidOperationException($"{builder.Resource.Name} has no endpoint named \"http\" for its health check: "
                + "call WithHttpEndpoint(name: \"http\") before AsService.");
        }

        return builder
            .WithBuiltProgram()
            .WithoutHttpsCertificate()
            .WithHttpHealthCheck("/health")
            .WaitForCompletion(migrations)
            .WithAutoRestart()
            .WithTracesSamplerOfTheAppHost()
            .WithTelemetryBatching();
    }

    /// <summary>
    /// The export schedule every service gets (where the AppHost is not given its own values): Aspire's one-second batches
    /// stay, so an idle system shows an order within about a second, but under load a batch holds up to 2,048 spans or log
    /// records instead of 512, so the exporters send fewer, larger requests, and metrics go every five seconds, not every
    /// second.
    /// </summary>
    /// <typeparam name="T">A service or a Lambda function.</typeparam>
    /// <param name="builder">The builder for the resource.</param>
    /// <returns>A reference to the <see cref="IResourceBuilder{T}"/>.</returns>
    public static IResourceBuilder<T> WithTelemetryBatching<T>(this IResourceBuilder<T> builder) where T : IResourceWithEnvironment
    {
        ArgumentNullException.ThrowIfNull(builder);
        var configuration = builder.ApplicationBuilder.Configuration;
        return builder.WithEnvironment(context =>
        {
            foreach (var (name, value) in TelemetryBatching)
            {
                context.EnvironmentVariables[name] = configuration[name] is { Length: > 0 } given ? given : value;
            }
        });
    }

    /// <summary>
    /// Aspire gives every project <c>OTEL_TRACES_SAMPLER=always_on</c>, so every order's trace is kept. When the AppHost
    /// itself is given <c>OTEL_TRACES_SAMPLER</c> (and <c>OTEL_TRACES_SAMPLER_ARG</c>), those reach the service instead:
    /// a load test samples, e.g. <c>parentbased_traceidratio</c> with <c>0.01</c>.
    /// </summary>
    private static IResourceBuilder<ProjectResource> WithTracesSamplerOfTheAppHost(this IResourceBuilder<ProjectResource> builder)
    {
        var configuration = builder.ApplicationBuilder.Configuration;
        return builder.WithEnvironment(context =>
        {
            foreach (var name in (string[])["OTEL_TRACES_SAMPLER", "OTEL_TRACES_SAMPLER_ARG"])
            {
                if (configuration[name] is { Length: > 0 } value)
                {
                    context.EnvironmentVariables[name] = value;
                }
            }
        });
    }
}
