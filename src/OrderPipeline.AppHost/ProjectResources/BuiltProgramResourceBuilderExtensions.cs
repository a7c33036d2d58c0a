using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OrderPipeline.AppHost.ProjectResources;

namespace Aspire.Hosting;

/// <summary>
/// Provides extension methods for running a project resource's built program directly.
/// </summary>
public static class BuiltProgramResourceBuilderExtensions
{
    /// <summary>
    /// Runs the project's built program directly instead of through <c>dotnet run --no-build</c>. Aspire launches a
    /// project through that wrapper, which builds nothing here (the AppHost's build already built the project) yet
    /// stays alive beside the service for its whole life, a process and its memory per project (see "What running it
    /// costs" in docs/local-development.md).
    /// </summary>
    /// <param name="builder">The builder for the <see cref="ProjectResource"/>.</param>
    /// <returns>A reference to the <see cref="IResourceBuilder{T}"/>.</returns>
    /// <remarks>
    /// The program is the one the AppHost's build found in the project's own build output (its <c>TargetPath</c>,
    /// recorded in the AppHost's assembly by the AppHost's project file). The working directory stays the project's
    /// folder, as under <c>dotnet run</c>, so the content root does not change. When no program is found the project
    /// is launched through <c>dotnet run</c> as Aspire does by default, and the resource's console says why.
    /// </remarks>
    public static IResourceBuilder<ProjectResource> WithBuiltProgram(this IResourceBuilder<ProjectResource> builder)
    {
        ArgumentNullException.ThrowIfNull(builder);

        var projectPath = builder.Resource.GetProjectMetadata().ProjectPath;
        var appHostAssembly = builder.ApplicationBuilder.AppHostAssembly ?? typeof(BuiltProgramResourceBuilderExtensions).Assembly;
        if (BuiltPrograms.Find(appHostAssembly, projectPath, out var notFound) is not { } program)
        {
            return builder.OnBeforeResourceStarted((resource, @event, _) =>
            {
                @event.Services.GetRequiredService<ResourceLoggerService>().GetLogger(resource)
                    .LogWarning("Launched through 'dotnet run', not as its built program: {Reason}", notFound);
                return Task.CompletedTask;
            });
        }
        return builder.WithAnnotation(new ExecutableAnnotation { Command = program, WorkingDirectory = Path.GetDirectoryName(projectPath)! },
            ResourceAnnotationMutationBehavior.Replace);
    }
}
