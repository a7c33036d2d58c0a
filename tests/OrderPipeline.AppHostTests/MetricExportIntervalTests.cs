using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace OrderPipeline.AppHostTests;

/// <summary>
/// Every service, and every function of the Lambda shape, sends metrics less often than Aspire's development default,
/// unless the AppHost is given its own value.
/// </summary>
[Trait("Category", "Unit")]
public sealed class MetricExportIntervalTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Every_service_exports_metrics_every_five_seconds_unless_the_apphost_is_given_its_own_interval(bool lambda)
    {
        var defaults = await ExportSettingsAsync(lambda, []);
        var given = await ExportSettingsAsync(lambda, ["--OTEL_METRIC_EXPORT_INTERVAL=60000"]);

        Assert.NotEmpty(defaults);
        Assert.All(defaults.Values, settings => Assert.Equal("5000", settings));
        Assert.All(given.Values, settings => Assert.Equal("60000", settings));
    }

    /// <summary>Each program's metric export interval, as the model gives it.</summary>
    private static async Task<Dictionary<string, string>> ExportSettingsAsync(bool lambda, string[] args)
    {
        await using var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.OrderPipeline_AppHost>(
            [$"--AppHost:DataDirectory={Path.Combine(Path.GetTempPath(), "op-batching")}", $"--AppHost:Lambda={lambda}", .. args],
            TestContext.Current.CancellationToken);
        var settings = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var program in builder.Resources.OfType<IResourceWithEnvironment>()
            .Where(r => r is ProjectResource or LambdaFunctionResource && r.Name != "migrations"))
        {
            var configuration = await ExecutionConfigurationBuilder.Create(program).WithEnvironmentVariablesConfig()
                .BuildAsync(new DistributedApplicationExecutionContext(DistributedApplicationOperation.Publish), NullLogger.Instance,
                    TestContext.Current.CancellationToken);
            var environment = configuration.EnvironmentVariables.ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal);
            settings[program.Name] = environment.GetValueOrDefault("OTEL_METRIC_EXPORT_INTERVAL") ?? "";
        }
        return settings;
    }
}
