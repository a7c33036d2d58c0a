using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace OrderPipeline.AppHostTests;

/// <summary>
/// Aspire gives each project <c>OTEL_TRACES_SAMPLER=always_on</c>; the AppHost's own sampler settings reach every
/// service instead, so that a load test can sample its traces.
/// </summary>
[Trait("Category", "Unit")]
public sealed class TracesSamplerTests
{
    [Fact]
    public async Task The_apphost_s_traces_sampler_reaches_every_service_and_without_one_the_services_get_none_of_ours()
    {
        var sampled = await SamplerSettingsAsync(["--OTEL_TRACES_SAMPLER=parentbased_traceidratio", "--OTEL_TRACES_SAMPLER_ARG=0.01"]);
        var unset = await SamplerSettingsAsync([]);

        Assert.Equal(["api", "notifier", "processor"], sampled.Keys.Order(StringComparer.Ordinal));
        Assert.All(sampled.Values, settings => Assert.Equal("parentbased_traceidratio/0.01", settings));
        Assert.All(unset.Values, settings => Assert.Equal("/", settings));
    }

    /// <summary>Each service's OTEL_TRACES_SAMPLER/OTEL_TRACES_SAMPLER_ARG, as the model gives them (no dashboard: none of Aspire's).</summary>
    private static async Task<Dictionary<string, string>> SamplerSettingsAsync(string[] args)
    {
        await using var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.OrderPipeline_AppHost>(
            [$"--AppHost:DataDirectory={Path.Combine(Path.GetTempPath(), "op-sampler")}", .. args], TestContext.Current.CancellationToken);
        var settings = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var project in builder.Resources.OfType<ProjectResource>().Where(p => p.Name != "migrations"))
        {
            var configuration = await ExecutionConfigurationBuilder.Create(project).WithEnvironmentVariablesConfig()
                .BuildAsync(new DistributedApplicationExecutionContext(DistributedApplicationOperation.Publish), NullLogger.Instance,
                    TestContext.Current.CancellationToken);
            var environment = configuration.EnvironmentVariables.ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal);
            settings[project.Name] = $"{environment.GetValueOrDefault("OTEL_TRACES_SAMPLER")}/{environment.GetValueOrDefault("OTEL_TRACES_SAMPLER_ARG")}";
        }
        return settings;
    }
}
