using System.Reflection;

namespace Aspire.Hosting;

/// <summary>
/// Provides extension methods for running a project resource's built program.
/// </summary>
public static class BuildOutputExtensions
{
    /// <summary>The configuration the AppHost was built in; its project references were built in the same one.</summary>
    private static readonly string Configuration =
        typeof(BuildOutputExtensions).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";

    /// <summary>
    /// Runs the project's built program directly instead of through <c>dotnet run --no-build</c>. Aspire launches a
    /// project through that wrapper, which builds nothing here (the AppHost's build already built the project) yet
    /// stays alive beside the service for its whole life: about 130 MB and one more process per project.
    /// </summary>
    /// <param name="builder">The builder for the <see cref="ProjectResource"/>.</param>
    /// <returns>A reference to the <see cref="IResourceBuilder{T}"/>.</returns>
    public static IResourceBuilder<ProjectResource> WithBuiltProgram(this IResourceBuilder<ProjectResource> builder)
    {
        ArgumentNullException.ThrowIfNull(builder);

        var projectPath = builder.Resource.GetProjectMetadata().ProjectPath;
        var projectDirectory = Path.GetDirectoryName(projectPath)!;
        var program = Path.Combine(projectDirectory, "bin", Configuration, "net10.0", Path.GetFileNameWithoutExtension(projectPath));
        // The working directory stays the project's, as under dotnet run, so the content root does not change.
        return builder.WithAnnotation(new ExecutableAnnotation { Command = program, WorkingDirectory = projectDirectory },
            ResourceAnnotationMutationBehavior.Replace);
    }
}
