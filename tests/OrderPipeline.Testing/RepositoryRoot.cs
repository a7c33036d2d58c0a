namespace OrderPipeline.Testing;

/// <remarks>
/// Also compiled into the test projects that must not reference this library (it brings Aspire): see their project files.
/// </remarks>
public static class RepositoryRoot
{
    /// <summary>The folder that holds OrderPipeline.sln, found upwards from the running binaries.</summary>
    public static string Path { get; } = Find();

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "OrderPipeline.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("Cannot find OrderPipeline.sln above " + AppContext.BaseDirectory);
    }
}
