namespace Aspire.Hosting;

/// <summary>
/// Provides extension methods for the system's long-running services.
/// </summary>
public static class ServiceResourceBuilderExtensions
{
    // Metrics every 5 s rather than Aspire's 1 s: a flush exports every instrument whether it moved or not. Span and log
    // batches keep the SDK's sizes: larger ones cost the dashboard no less per order and the services tens of MB more.
    private const string MetricExportInterval = "OTEL_METRIC_EXPORT_INTERVAL";
    private const string MetricExportMilliseconds = "5000";

    /// <summary>
    /// Makes the project one of the system's long-running services: its built program run directly
    /// (<see cref="BuiltProgramResourceBuilderExtensions.WithBuiltProgram"/>), plain HTTP without a development
    /// certificate (TLS ends in front of the services in AWS), healthy when <c>/health</c> answers on its "http"
    /// endpoint, started once <paramref name="migrations"/> has completed successfully, and started again when it
    /// exits on its own (<see cref="AutoRestartExtensions.WithAutoRestart"/>), one attempt per telemetry export
    /// (<see cref="WithoutOtlpExportRetries{T}"/>), its traces sampled as the AppHost's
    /// <c>OTEL_TRACES_SAMPLER</c> says when it says, its metrics exported as <see cref="WithMetricExportInterval{T}"/> says,
    /// and without dynamic PGO.
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
            .WithMetricExportInterval()
            .WithoutOtlpExportRetries()
            // Dynamic PGO recompiles hot methods through an instrumented tier first: on a laptop's few cores, shared
            // with the database, the emulator and the dashboard, that costs each service memory and CPU it does not
            // win back (docs/cpu-per-order.md). AWS keeps the runtime's default.
            .WithEnvironment("DOTNET_TieredPGO", "0");
    }

    /// <summary>
    /// Metrics exported every five seconds instead of Aspire's one (where the AppHost is not given its own
    /// <c>OTEL_METRIC_EXPORT_INTERVAL</c>); spans and logs keep Aspire's one-second batches, so an idle system shows an
    /// order within about a second.
    /// </summary>
    /// <typeparam name="T">A service or a Lambda function.</typeparam>
    /// <param name="builder">The builder for the resource.</param>
    /// <returns>A reference to the <see cref="IResourceBuilder{T}"/>.</returns>
    public static IResourceBuilder<T> WithMetricExportInterval<T>(this IResourceBuilder<T> builder) where T : IResourceWithEnvironment
    {
        ArgumentNullException.ThrowIfNull(builder);
        var configuration = builder.ApplicationBuilder.Configuration;
        return builder.WithEnvironment(context =>
        {
            context.EnvironmentVariables[MetricExportInterval] =
                configuration[MetricExportInterval] is { Length: > 0 } given ? given : MetricExportMilliseconds;
        });
    }

    /// <summary>
    /// Without the in-memory OTLP export retries Aspire asks every project for (<c>OTEL_DOTNET_EXPERIMENTAL_OTLP_RETRY</c>):
    /// the services' telemetry is best effort, one attempt per export, so that a service whose collector has gone stops
    /// without waiting on retries. The service defaults turn them off in configuration too, but the log exporter they
    /// build themselves reads the setting from the environment only.
    /// </summary>
    /// <typeparam name="T">A service or a Lambda function.</typeparam>
    /// <param name="builder">The builder for the resource.</param>
    /// <returns>A reference to the <see cref="IResourceBuilder{T}"/>.</returns>
    public static IResourceBuilder<T> WithoutOtlpExportRetries<T>(this IResourceBuilder<T> builder) where T : IResourceWithEnvironment
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.WithEnvironment(context => context.EnvironmentVariables.Remove("OTEL_DOTNET_EXPERIMENTAL_OTLP_RETRY"));
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
