using OrderPipeline.FaultRun;

namespace OrderPipeline.FunctionalTests.Reliability;

/// <summary>
/// The short version of the fault run (tools/OrderPipeline.FaultRun): a few hundred orders through the whole system
/// while two Processors and the Notifier are killed and the database is frozen, made read-only and killed. It owns its
/// system, so it runs alone, after the parallel collections.
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
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FaultRunCollection
{
    public const string Name = "fault run";
}
