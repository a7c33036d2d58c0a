using System.Globalization;
using OrderPipeline.AppHost.Deployment;
using OrderPipeline.InfraTests.Support;
using Xunit;
using YamlDotNet.RepresentationModel;
using static OrderPipeline.AppHost.Deployment.CloudFormationTemplate;

namespace OrderPipeline.InfraTests;

/// <summary>
/// Timeouts that fit inside each other, and database connections that fit in the instance: API Gateway
/// (30 s) > the Api function > MySQL connect + RDS Proxy borrow; each consumer's timeout > connect + borrow + one
/// command; and every connection the functions can hold at once, at the parameters' largest allowed values, within
/// the proxy's share of max_connections at its smallest.
/// </summary>
public sealed class TimeoutsAndCapacityTests
{
    private readonly CloudFormationTemplate template = RepositoryTemplate.Load();

    [Fact]
    public void Api_gateway_waits_at_most_30_s_and_longer_than_the_api_function_which_waits_longer_than_connect_and_proxy_borrow()
    {
        var integrationSeconds = template.IntegerValue(template.Properties("ApiIntegration")["TimeoutInMillis"]) / 1000.0;
        var apiTimeout = FunctionTimeout("ApiFunction");
        var (connect, command) = ConnectionTimeouts("ApiFunction");

        Assert.InRange(integrationSeconds, 1, 30); // HTTP APIs allow at most 30 s
        Assert.True(integrationSeconds > apiTimeout, $"integration {integrationSeconds}s must exceed the Api function's {apiTimeout}s");
        Assert.True(
            apiTimeout > connect + ProxyBorrowTimeout() + command,
            $"Api {apiTimeout}s must exceed connect {connect}s + borrow {ProxyBorrowTimeout()}s + command {command}s");
    }

    [Theory]
    [InlineData("ApiFunction")]
    [InlineData("ProcessorFunction")]
    [InlineData("NotifierFunction")]
    [InlineData("MigrationsFunction")]
    public void Function_timeout_exceeds_connect_plus_proxy_borrow_plus_one_command(string function)
    {
        var (connect, command) = ConnectionTimeouts(function);
        var timeout = FunctionTimeout(function);

        Assert.True(connect > 0 && command > 0, $"{function}: set Connect Timeout and Default Command Timeout explicitly");
        Assert.True(
            timeout > connect + ProxyBorrowTimeout() + command,
            $"{function} timeout {timeout}s <= connect {connect}s + borrow {ProxyBorrowTimeout()}s + command {command}s");
    }

    [Fact]
    public void Connections_the_functions_can_hold_fit_in_the_proxys_share_of_max_connections()
    {
        // Each function instance handles one invocation at a time and holds at most its pool. How many instances:
        // the Api's reserved concurrency, each consumer's event source mapping MaximumConcurrency, plus one Processor
        // run of the outbox relay (one a minute, each done within the 30 s timeout), plus the one migration run.
        var instances = new Dictionary<string, int>(StringComparer.Ordinal)
        {
            ["ApiFunction"] = template.LargestValue(template.Properties("ApiFunction")["ReservedConcurrentExecutions"]),
            ["ProcessorFunction"] = MaximumConcurrency("ProcessorFunction") + 1,
            ["NotifierFunction"] = MaximumConcurrency("NotifierFunction"),
            ["MigrationsFunction"] = 1,
        };
        var held = instances.Sum(kv => kv.Value * MaximumPoolSize(kv.Key));

        var maxConnections = template.SmallestValue(At(template.Properties("DBParameterGroup"), "Parameters", "max_connections")!);
        var percent = template.IntegerValue(At(template.Properties("DBProxyTargetGroup"), "ConnectionPoolConfigurationInfo", "MaxConnectionsPercent")!);
        var proxyShare = maxConnections * percent / 100;

        Assert.True(
            held <= proxyShare,
            $"the functions can hold {held} connections; "
                + $"the proxy may open {proxyShare} ({percent}% of max_connections {maxConnections})");
        Assert.InRange(percent, 1, 95); // leave the master user (migrations, an operator) room of its own
    }

    [Fact]
    public void Every_function_bounds_its_pool_and_its_concurrency()
    {
        foreach (var function in template.OfType("AWS::Lambda::Function"))
        {
            Assert.InRange(MaximumPoolSize(function), 1, 5);
        }

        Assert.Equal("ApiMaxConcurrency", RefTarget(template.Properties("ApiFunction")["ReservedConcurrentExecutions"]));
        Assert.All(template.OfType("AWS::Lambda::EventSourceMapping"), mapping =>
            Assert.NotNull(At(template.Properties(mapping), "ScalingConfig", "MaximumConcurrency")));
    }

    [Fact]
    public void Database_connections_alarm_fires_before_the_proxy_has_used_its_share()
    {
        var alarm = template.Properties("DatabaseConnectionsAlarm");
        var maxConnections = template.SmallestValue(At(template.Properties("DBParameterGroup"), "Parameters", "max_connections")!);
        var percent = template.IntegerValue(At(template.Properties("DBProxyTargetGroup"), "ConnectionPoolConfigurationInfo", "MaxConnectionsPercent")!);

        Assert.Equal("DatabaseConnections", Scalar(alarm["MetricName"]));
        Assert.True(template.IntegerValue(alarm["Threshold"]) < maxConnections * percent / 100);
    }

    // ----------------------------------------------------------------------------------------------------------------
    private int FunctionTimeout(string function) => template.IntegerValue(template.Properties(function)["Timeout"]);

    private int ProxyBorrowTimeout() =>
        template.IntegerValue(At(template.Properties("DBProxyTargetGroup"), "ConnectionPoolConfigurationInfo", "ConnectionBorrowTimeout")!);

    private (int Connect, int Command) ConnectionTimeouts(string function)
    {
        var settings = ConnectionStringSettings(SubFormat(At(template.Properties(function), "Environment", "Variables", "ConnectionStrings__orders"))!);
        return (Seconds(settings, "Connect Timeout"), Seconds(settings, "Default Command Timeout"));
    }

    private int MaximumPoolSize(string function)
    {
        var settings = ConnectionStringSettings(SubFormat(At(template.Properties(function), "Environment", "Variables", "ConnectionStrings__orders"))!);
        return Seconds(settings, "Maximum Pool Size");
    }

    private int MaximumConcurrency(string function)
    {
        var mapping = template.OfType("AWS::Lambda::EventSourceMapping")
            .Single(id => template.FunctionBehind(template.Properties(id)["FunctionName"]) == function);
        return template.LargestValue(At(template.Properties(mapping), "ScalingConfig", "MaximumConcurrency")!);
    }

    private static int Seconds(Dictionary<string, string> settings, string key) =>
        settings.TryGetValue(key, out var value) ? int.Parse(value, NumberStyles.Integer, CultureInfo.InvariantCulture) : 0;
}
