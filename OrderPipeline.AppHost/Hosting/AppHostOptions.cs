using System.Net;
using System.Net.Sockets;
using System.Reflection;
using Microsoft.Extensions.Configuration;

namespace OrderPipeline.AppHost.Hosting;

/// <summary>
/// How the AppHost runs: where it keeps data, which ports it takes, whether it talks to the console.
/// Read from the command line, environment (ORDERPIPELINE_ prefix) and appsettings.json; tests set them directly.
/// </summary>
public sealed record AppHostOptions
{
    /// <summary>The folder that holds OrderPipeline.sln.</summary>
    public required string RepositoryRoot { get; init; }

    /// <summary>Databases' data and the credentials the AppHost generated; reused between runs.</summary>
    public required string DataDirectory { get; init; }

    /// <summary>Throw the database's data away and start from the schema and seed.</summary>
    public bool ResetData { get; init; }

    /// <summary>Every port picked free (tests, or a second instance beside a developer's).</summary>
    public bool UseFreePorts { get; init; }

    public int ApiPort { get; init; } = 5080;

    /// <summary>No resource output on the console (tests read it from the resources' logs instead).</summary>
    public bool Quiet { get; init; }

    /// <summary>
    /// Set when the AppHost receives telemetry; passed to the services as OTEL_EXPORTER_OTLP_ENDPOINT.
    /// Defaults to the dashboard's own address when the dashboard is enabled (it takes OTLP/HTTP itself).
    /// </summary>
    public string? OtlpEndpoint
    {
        get => _otlpEndpoint ?? (EnableDashboard ? DashboardUrl : null);
        init => _otlpEndpoint = value;
    }

    private readonly string? _otlpEndpoint;

    /// <summary>
    /// The key the services send with their telemetry (OTEL_EXPORTER_OTLP_HEADERS), as Aspire's dashboard asks for
    /// one: loopback alone would let any local process write into the dashboard. New each run.
    /// </summary>
    public string OtlpApiKey { get; init; } = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));

    /// <summary>Serve the dashboard (resources, console, telemetry, queues) from the AppHost process.</summary>
    public bool EnableDashboard { get; init; }

    /// <summary>The dashboard's preferred port; a free one is picked instead under <see cref="UseFreePorts"/>.</summary>
    public int DashboardPort { get; init; } = 18888;

    private int _dashboardPortInUse;

    /// <summary>Where the dashboard listens (loopback only); the port is picked once, on first use.</summary>
    public string DashboardUrl
    {
        get
        {
            if (Volatile.Read(ref _dashboardPortInUse) == 0)
            {
                Interlocked.CompareExchange(ref _dashboardPortInUse, PortFor(DashboardPort), 0);
            }
            return $"http://127.0.0.1:{_dashboardPortInUse}";
        }
    }

    /// <summary>Extra configuration for every service, as environment variables (e.g. shorter retry delays in tests).</summary>
    public IReadOnlyDictionary<string, string> ServiceEnvironment { get; init; } = new Dictionary<string, string>();

    /// <summary>The build configuration the services were built in, the AppHost's own.</summary>
    public string BuildConfiguration { get; init; } =
        typeof(AppHostOptions).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";

    public IConfiguration Configuration { get; init; } = new ConfigurationBuilder().Build();

    public int PortFor(int preferred) => UseFreePorts ? FreePort() : preferred;

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static AppHostOptions FromArgs(string[] args)
    {
        var root = FindRepositoryRoot();
        var configuration = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true)
            .AddEnvironmentVariables("ORDERPIPELINE_")
            .AddCommandLine(args.Where(a => a != "--reset").ToArray())
            .Build();
        return new AppHostOptions
        {
            RepositoryRoot = root,
            DataDirectory = configuration["AppHost:DataDirectory"] ?? Path.Combine(root, ".orderpipeline"),
            ResetData = args.Contains("--reset") || configuration.GetValue<bool>("AppHost:Reset"),
            ApiPort = configuration.GetValue("AppHost:ApiPort", 5080),
            EnableDashboard = configuration.GetValue("AppHost:EnableDashboard", true),
            DashboardPort = configuration.GetValue("AppHost:DashboardPort", 18888),
            Configuration = configuration,
        };
    }

    public static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "OrderPipeline.sln")))
            {
                return dir.FullName;
            }
        }
        throw new PrerequisiteMissingException("Cannot find OrderPipeline.sln above " + AppContext.BaseDirectory + ": run the AppHost from its repository.");
    }
}
