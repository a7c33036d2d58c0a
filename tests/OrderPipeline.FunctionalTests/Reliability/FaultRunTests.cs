using OrderPipeline.FaultRun;

namespace OrderPipeline.FunctionalTests.Reliability;

/// <summary>
/// The short version of the fault run (tools/OrderPipeline.FaultRun): a few hundred orders through the whole system
/// while two Processors and the Notifier are killed and the database is frozen, made read-only and killed; and the same
/// in the Lambda shape, where the functions' sandboxes are killed and an invocation passes its timeout. Each owns its
/// system, so they run alone, after the parallel collections.
/// </summary>
[Collection(FaultRunCollection.Name)]
public sealed class FaultRunTests
{
    [Fact]
    public async Task Through_kills_freezes_and_a_failover_every_accepted_order_settles_once_and_only_poison_reaches_a_dlq()
    {
        var progress = new StringWriter();
        var result = await FaultRunner.RunAsync(FaultRunOptions.Short, progress, TestContext.Current.CancellationToken);

        TestContext.Current.TestOutputHelper?.WriteLine(progress.ToString());
        Assert.All(result.Faults, fault => Assert.Null(fault.Problem));
        Assert.Equal(6, result.Faults.Count);
        Assert.All(result.Checks, check => Assert.True(check.Passed, $"{check.Name}: {check.Detail}"));
        Assert.True(result.Passed);
    }

    [Fact]
    public async Task In_the_lambda_shape_through_sandbox_kills_timeouts_freezes_and_a_failover_every_accepted_order_settles_once()
    {
        var progress = new StringWriter();
        var result = await FaultRunner.RunAsync(FaultRunOptions.Short with { Lambda = true }, progress, TestContext.Current.CancellationToken);

        TestContext.Current.TestOutputHelper?.WriteLine(progress.ToString());
        Assert.All(result.Faults, fault => Assert.Null(fault.Problem));
        // The laptop's six, with Lambda's kills (every sandbox of a function), and invocations past order-processor's timeout.
        Assert.Equal(7, result.Faults.Count);
        Assert.Contains(result.Faults, fault => fault.What.StartsWith("order-processor invocations past its timeout", StringComparison.Ordinal));
        Assert.All(result.Checks, check => Assert.True(check.Passed, $"{check.Name}: {check.Detail}"));
        Assert.True(result.Passed);
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FaultRunCollection
{
    public const string Name = "fault run";
}
