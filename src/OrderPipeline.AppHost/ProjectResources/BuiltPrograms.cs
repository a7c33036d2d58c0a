using System.Reflection;

namespace OrderPipeline.AppHost.ProjectResources;

/// <summary>
/// Where the AppHost's build found each project resource's program: the AppHost's project file asks each referenced
/// project for its <c>TargetPath</c> and records it as <c>[AssemblyMetadata("builtprogram:&lt;project path&gt;", "&lt;TargetPath&gt;")]</c>.
/// </summary>
internal static class BuiltPrograms
{
    public const string MetadataPrefix = "builtprogram:";

    private static readonly StringComparison PathComparison =
        OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;

    /// <summary>The project's build output (its <c>TargetPath</c>, the assembly) as recorded in <paramref name="appHostAssembly"/>, or null.</summary>
    public static string? TargetPathOf(Assembly appHostAssembly, string projectPath)
    {
        var project = Path.GetFullPath(projectPath);
        return appHostAssembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key.StartsWith(MetadataPrefix, StringComparison.Ordinal)
                && string.Equals(Path.GetFullPath(a.Key[MetadataPrefix.Length..]), project, PathComparison))
            ?.Value;
    }

    /// <summary>
    /// The program to run for the project: the executable the .NET SDK puts beside its assembly (<c>UseAppHost</c>,
    /// on by default). Null, with <paramref name="notFound"/> saying why, when there is none.
    /// </summary>
    public static string? Find(Assembly appHostAssembly, string projectPath, out string notFound)
    {
        if (TargetPathOf(appHostAssembly, projectPath) is not { Length: > 0 } targetPath)
        {
            notFound = $"the AppHost's build recorded no build output for {projectPath} (is it a project reference of the AppHost?)";
            return null;
        }
        var program = Path.Combine(Path.GetDirectoryName(targetPath) ?? "",
            Path.GetFileNameWithoutExtension(targetPath) + (OperatingSystem.IsWindows() ? ".exe" : ""));
        if (!File.Exists(program))
        {
            notFound = $"there is no {program} beside the project's build output {targetPath} (not built, or built with UseAppHost=false)";
            return null;
        }
        notFound = "";
        return program;
    }
}
