using OrderPipeline.AppHost.Hosting;

namespace OrderPipeline.Tests.Support;

/// <summary>AppHost options for tests: free ports, a throw-away data directory, no console, quick retries.</summary>
public static class TestOptions
{
    public static AppHostOptions Create(string name) => new()
    {
        RepositoryRoot = AppHostOptions.FindRepositoryRoot(),
        // Short: the MariaDB socket path lives under it and Unix sockets allow ~100 characters.
        DataDirectory = Path.Combine(Path.GetTempPath(), $"op-{name}-{Guid.NewGuid():N}"[..16]),
        UseFreePorts = true,
        Quiet = true,
        ServiceEnvironment = new Dictionary<string, string>
        {
            ["Messaging__Consumer__RetryDelaySeconds"] = "1",
            ["Messaging__Consumer__WaitTimeSeconds"] = "2",
            ["Outbox__RelayIntervalSeconds"] = "1",
            ["Outbox__GraceSeconds"] = "2",
        },
    };

    public static void DeleteData(AppHostOptions options)
    {
        try
        {
            Directory.Delete(options.DataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless.
        }
    }
}
