using OrderPipeline.AppHost.Hosting;

namespace OrderPipeline.AppHost.Resources;

/// <summary>
/// One of the solution's services, run from its build output as a child process and configured the way an
/// Aspire AppHost configures a project: ASPNETCORE_URLS, OTEL_*, ConnectionStrings__*, services__*__http__0.
/// Healthy when its /health answers 200 (which includes its database and queue checks).
/// </summary>
public sealed class ProjectResource(string name, string projectName, AppHostOptions options) : ExecutableResource(name), IResourceWithEnvironment
{
    private readonly List<IResourceWithEnvironment> _references = [];
    private readonly Dictionary<string, string> _environment = new(StringComparer.Ordinal);
    private int? _fixedPort;

    /// <summary>The header that carries <see cref="AppHostOptions.OtlpApiKey"/>, the name Aspire's dashboard uses.</summary>
    public const string OtlpApiKeyHeader = "x-otlp-api-key";

    public override string Type => "Project";

    public string ProjectName { get; } = projectName;

    public string? HttpUrl => Endpoints.TryGetValue("http", out var url) ? url : null;

    /// <summary>Listen on this port instead of a free one (unless the AppHost is told to use free ports).</summary>
    public ProjectResource WithHttpPort(int port)
    {
        _fixedPort = port;
        return this;
    }

    public ProjectResource WithReference(IResourceWithEnvironment resource)
    {
        _references.Add(resource);
        return this;
    }

    public ProjectResource WithEnvironment(string name, string value)
    {
        _environment[name] = value;
        return this;
    }

    /// <summary>How other projects discover this one (Aspire's service discovery keys), known before it starts.</summary>
    public void AddEnvironment(IDictionary<string, string> environment) =>
        environment[$"services__{Name}__http__0"] = EnsureEndpoint();

    /// <summary>The endpoint is allocated when first needed, as Aspire allocates endpoints up front.</summary>
    private string EnsureEndpoint()
    {
        if (HttpUrl is { } url)
        {
            return url;
        }
        var port = _fixedPort is { } fixedPort ? options.PortFor(fixedPort) : AppHostOptions.FreePort();
        SetEndpoint("http", $"http://127.0.0.1:{port}");
        return HttpUrl!;
    }

    protected override Task<ProcessSpec> PrepareAsync(CancellationToken cancellationToken)
    {
        var output = Path.Combine(options.RepositoryRoot, ProjectName, "bin", options.BuildConfiguration, "net10.0");
        var assembly = Path.Combine(output, ProjectName + ".dll");
        if (!File.Exists(assembly))
        {
            throw new PrerequisiteMissingException($"{assembly} is missing: build the solution first ('dotnet build -c {options.BuildConfiguration}').");
        }
        var url = EnsureEndpoint();

        var environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["ASPNETCORE_URLS"] = url,
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["DOTNET_ENVIRONMENT"] = "Development",
            ["OTEL_SERVICE_NAME"] = Name,
            ["OTEL_RESOURCE_ATTRIBUTES"] = $"service.instance.id={Name}-{Guid.NewGuid():N}",
            ["DOTNET_NOLOGO"] = "1",
        };
        if (options.OtlpEndpoint is not null)
        {
            environment["OTEL_EXPORTER_OTLP_ENDPOINT"] = options.OtlpEndpoint;
            environment["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf";
            environment["OTEL_EXPORTER_OTLP_HEADERS"] = $"{OtlpApiKeyHeader}={options.OtlpApiKey}";
            // Aspire's dashboard settings: export often enough to look live.
            environment["OTEL_BSP_SCHEDULE_DELAY"] = "1000";
            environment["OTEL_BLRP_SCHEDULE_DELAY"] = "1000";
            environment["OTEL_METRIC_EXPORT_INTERVAL"] = "5000";
        }
        foreach (var reference in _references)
        {
            reference.AddEnvironment(environment);
        }
        foreach (var (key, value) in _environment.Concat(options.ServiceEnvironment))
        {
            environment[key] = value;
        }
        return Task.FromResult(new ProcessSpec("dotnet", [assembly], environment, output));
    }

    protected override async Task<bool> IsHealthyAsync(CancellationToken cancellationToken)
    {
        using var response = await Probe.GetAsync(new Uri(HttpUrl + "/health"), cancellationToken).ConfigureAwait(false);
        return response.IsSuccessStatusCode;
    }
}
