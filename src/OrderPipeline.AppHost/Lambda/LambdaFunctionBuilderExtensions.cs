using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using OrderPipeline.AppHost.Lambda;
using OrderPipeline.AppHost.ProjectResources;

namespace Aspire.Hosting;

/// <summary>
/// Provides extension methods for running a project as a Lambda function locally, in the shape of
/// Aspire.Hosting.AWS's <c>AddAWSLambdaFunction</c>: the project's built program behind a stand-in for the Lambda Web
/// Adapter, in sandboxes started on demand and frozen between invocations. Its event sources, an API gateway and
/// schedules invoke it.
/// </summary>
public static class LambdaFunctionBuilderExtensions
{
    /// <summary>Concurrent sandboxes of a function without reserved concurrency (the local account's limit).</summary>
    public const int LocalAccountConcurrency = 10;

    /// <summary>
    /// How long a new sandbox may take to answer its readiness check. Lambda allows 10 s of init; a program started
    /// without ReadyToRun on a busy laptop needs more, and a slow init is reported as the init time, not refused.
    /// </summary>
    private static readonly TimeSpan InitTimeout = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Adds a Lambda function that runs the project's built program, configured as its <c>AWS::Lambda::Function</c>.
    /// </summary>
    /// <typeparam name="TProject">The project, as Aspire's generated <c>Projects</c> class names it.</typeparam>
    /// <param name="builder">The <see cref="IDistributedApplicationBuilder"/>.</param>
    /// <param name="name">The name of the resource.</param>
    /// <param name="options">The function's timeout, memory size, reserved concurrency and idle reclaim time.</param>
    /// <returns>A reference to the <see cref="IResourceBuilder{T}"/>.</returns>
    /// <remarks>
    /// The function starts once what it waits for is ready: one sandbox is started and frozen, so a program that
    /// cannot start fails the resource at once. Its environment is the resource's (<c>WithEnvironment</c>,
    /// <c>WithReference</c>), with the telemetry settings of the dashboard.
    /// </remarks>
    public static IResourceBuilder<LambdaFunctionResource> AddLambdaFunction<TProject>(this IDistributedApplicationBuilder builder,
        [ResourceName] string name, LambdaFunctionOptions? options = null)
        where TProject : IProjectMetadata, new() => builder.AddLambdaFunction(name, new TProject(), options);

    /// <summary>
    /// Adds a Lambda function that runs the project's built program, configured as its <c>AWS::Lambda::Function</c>.
    /// </summary>
    /// <param name="builder">The <see cref="IDistributedApplicationBuilder"/>.</param>
    /// <param name="name">The name of the resource.</param>
    /// <param name="project">The project, as Aspire's generated <c>Projects</c> class describes it.</param>
    /// <param name="options">The function's timeout, memory size, reserved concurrency and idle reclaim time.</param>
    /// <returns>A reference to the <see cref="IResourceBuilder{T}"/>.</returns>
    public static IResourceBuilder<LambdaFunctionResource> AddLambdaFunction(this IDistributedApplicationBuilder builder,
        [ResourceName] string name, IProjectMetadata project, LambdaFunctionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(project);

        var projectPath = project.ProjectPath;
        var appHostAssembly = builder.AppHostAssembly ?? typeof(LambdaFunctionBuilderExtensions).Assembly;
        var program = BuiltPrograms.Find(appHostAssembly, projectPath, out var notFound);
        var function = new LambdaFunctionResource(name, program ?? projectPath, Path.GetDirectoryName(projectPath)!, options ?? new LambdaFunctionOptions());

        builder.Services.TryAddSingleton<LambdaFunctions>();
        return builder.AddResource(function)
            .WithOtlpExporter()
            .WithIconName("Code")
            .WithInitialState(new CustomResourceSnapshot
            {
                ResourceType = "Lambda function",
                State = KnownResourceStates.Waiting,
                Properties = [],
            })
            .OnInitializeResource((resource, @event, initializing) =>
            {
                var stopping = @event.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
                if (program is null)
                {
                    return @event.Notifications.PublishUpdateAsync(resource, s => s with
                    {
                        State = new ResourceStateSnapshot($"No built program: {notFound}", KnownResourceStateStyles.Error),
                    });
                }
                _ = new LambdaFunctionRunner(resource, @event, InitTimeout).RunAsync(stopping);
                return Task.CompletedTask;
            });
    }

    /// <summary>
    /// Invokes the function once with <paramref name="eventJson"/> when it starts, and ends the resource with that
    /// invocation's outcome: Finished for a success, Exited with exit code 1 otherwise. For a one-shot function such
    /// as a migration step that a deployment invokes once; what waits for its completion starts after it.
    /// </summary>
    /// <param name="builder">The builder for the <see cref="LambdaFunctionResource"/>.</param>
    /// <param name="eventJson">The event, as the deployment would pass it (<c>{}</c>).</param>
    /// <returns>A reference to the <see cref="IResourceBuilder{T}"/>.</returns>
    public static IResourceBuilder<LambdaFunctionResource> WithInvocationOnStart(this IResourceBuilder<LambdaFunctionResource> builder,
        string eventJson = "{}")
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(eventJson);

        return builder.WithAnnotation(new LambdaInvocationOnStartAnnotation(eventJson), ResourceAnnotationMutationBehavior.Replace);
    }
}
