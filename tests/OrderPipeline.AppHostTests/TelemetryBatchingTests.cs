using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace OrderPipeline.AppHostTests;

/// <summary>
/// Every service, and every function of the Lambda shape, exports in larger batches and sends metrics less often than
/// Aspire's development defaults, unless the AppHost is given its own values.
/// </summary>
[Trait("Category", "Unit")]
public sealed class TelemetryBatchingTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Every_service_gets_the_export_schedule_and_the_apphost_s_own_values_win(bool lambda)
    {
        var defaults = await ExportSettingsAsync(lambda, []);
        var given = await ExportSettingsAsync(lambda, ["--OTEL_METRIC_EXPORT_INTERVAL=60000"]);

        Assert.NotEmpty(defaults);
        Assert.All(defaults.Values, settings => Assert.Equal("5000/2048/8192/2048/8192", settings));
        Assert.All(given.Values, settings => Assert.StartsWith("60000/", settings, StringComparison.Ordinal));
    }

    /// <summary>Each program's export settings, as the model gives them.</summary>
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
            settings[program.Name] = string.Join('/', ((string[])["OTEL_METRIC_EXPORT_INTERVAL", "OTEL_BSP_MAX_EXPORT_BATCH_SIZE",
                "OTEL_BSP_MAX_QUEUE_SIZE", "OTEL_BLRP_MAX_EXPORT_BATCH_SIZE", "OTEL_BLRP_MAX_QUEUE_SIZE"]).Select(environment.GetValueOrDefault));
        }
        return settings;
    }
}
