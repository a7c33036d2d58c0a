using System.Runtime.CompilerServices;

namespace OrderPipeline.Tests.Infra;

/// <summary>
/// The repository root (the folder holding OrderPipeline.sln), for the infrastructure tests that read infra/. Looked
/// for above the test binaries first and, failing that, above this source file, so that these tests also run when
/// compiled into a project that lives outside the repository.
/// </summary>
internal static class RepositoryRoot
{
    private const string Marker = "OrderPipeline.sln";

    public static string Find() =>
        Above(AppContext.BaseDirectory)
        ?? Above(Path.GetDirectoryName(ThisSourceFile()))
        ?? throw new InvalidOperationException($"Cannot find {Marker} above {AppContext.BaseDirectory} or {ThisSourceFile()}.");

    private static string? Above(string? start)
    {
        for (var dir = string.IsNullOrEmpty(start) ? null : new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, Marker)))
            {
                return dir.FullName;
            }
        }

        return null;
    }

    private static string ThisSourceFile([CallerFilePath] string path = "") => path;
}
