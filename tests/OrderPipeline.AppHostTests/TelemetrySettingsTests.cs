using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace OrderPipeline.AppHostTests;

/// <summary>
/// The telemetry settings the AppHost gives every service (and every function of the Lambda shape), as the model holds
/// them: the AppHost's own trace sampler instead of Aspire's <c>always_on</c>, so that a load test can sample, and metrics
/// every five seconds instead of Aspire's one, unless the AppHost is given its own interval.
/// </summary>
[Trait("Category", "Unit")]
public sealed class TelemetrySettingsTests
{
    [Fact]
    public async Task The_apphost_s_traces_sampler_reaches_every_service_and_without_one_the_services_get_none_of_ours()
    {
        var sampled = await EnvironmentsAsync(false, ["--OTEL_TRACES_SAMPLER=parentbased_traceidratio", "--OTEL_TRACES_SAMPLER_ARG=0.01"]);
        var unset = await EnvironmentsAsync(false, []);

        Assert.Equal(["api", "notifier", "processor"], sampled.Keys.Order(StringComparer.Ordinal));
        Assert.All(sampled.Values, environment => Assert.Equal("parentbased_traceidratio/0.01", Sampler(environment)));
        Assert.All(unset.Values, environment => Assert.Equal("/", Sampler(environment)));

        static string Sampler(Dictionary<string, string> environment) =>
            $"{environment.GetValueOrDefault("OTEL_TRACES_SAMPLER")}/{environment.GetValueOrDefault("OTEL_TRACES_SAMPLER_ARG")}";
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Every_service_exports_metrics_every_five_seconds_unless_the_apphost_is_given_its_own_interval(bool lambda)
    {
        var defaults = await EnvironmentsAsync(lambda, []);
        var given = await EnvironmentsAsync(lambda, ["--OTEL_METRIC_EXPORT_INTERVAL=60000"]);

        Assert.NotEmpty(defaults);
        Assert.All(defaults.Values, environment => Assert.Equal("5000", environment.GetValueOrDefault("OTEL_METRIC_EXPORT_INTERVAL")));
        Assert.All(given.Values, environment => Assert.Equal("60000", environment.GetValueOrDefault("OTEL_METRIC_EXPORT_INTERVAL")));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task No_service_or_function_is_asked_for_in_memory_export_retries(bool lambda)
    {
        var environments = await EnvironmentsAsync(lambda, []);

        Assert.NotEmpty(environments);
        Assert.All(environments.Values, environment => Assert.False(environment.ContainsKey("OTEL_DOTNET_EXPERIMENTAL_OTLP_RETRY")));
    }

    /// <summary>Each service's or function's environment, as the model gives it (no dashboard: none of Aspire's OTLP settings).</summary>
    private static async Task<Dictionary<string, Dictionary<string, string>>> EnvironmentsAsync(bool lambda, string[] args)
    {
        await using var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.OrderPipeline_AppHost>(
            [$"--AppHost:DataDirectory={Path.Combine(Path.GetTempPath(), "op-telemetry-settings")}", $"--AppHost:Lambda={lambda}", .. args],
            TestContext.Current.CancellationToken);
        var environments = new Dictionary<string, Dictionary<string, string>>(StringComparer.Ordinal);
        foreach (var program in builder.Resources.OfType<IResourceWithEnvironment>()
            .Where(r => r is ProjectResource or LambdaFunctionResource && r.Name != "migrations"))
        {
            var configuration = await ExecutionConfigurationBuilder.Create(program).WithEnvironmentVariablesConfig()
                .BuildAsync(new DistributedApplicationExecutionContext(DistributedApplicationOperation.Publish), NullLogger.Instance,
                    TestContext.Current.CancellationToken);
            environments[program.Name] = configuration.EnvironmentVariables.ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal);
        }
        return environments;
    }
}
