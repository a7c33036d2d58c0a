using Aspire.Hosting.ApplicationModel;
using OrderPipeline.AppHost.Supervision;

namespace OrderPipeline.AppHostTests;

[Trait("Category", "Unit")]
public sealed class AutoRestartTests
{
    [Theory]
    [InlineData("Running", "Finished", true)]      // crashed or killed
    [InlineData("Starting", "FailedToStart", true)]
    [InlineData(null, "Finished", true)]
    [InlineData("Stopping", "Finished", false)]    // the Stop command or the AppHost shutting down
    [InlineData("Finished", "Finished", false)]    // the same exit reported again
    [InlineData("Running", "Running", false)]
    [InlineData("Running", "Stopping", false)]
    public void Only_a_process_that_ended_without_being_asked_to_is_restarted(string? previous, string state, bool restarted) =>
        Assert.Equal(restarted, ResourceSupervisor.ExitedOnItsOwn(previous, state));

    [Fact]
    public void The_delay_doubles_from_one_second_up_to_thirty()
    {
        var policy = new AutoRestartAnnotation(10, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30));

        Assert.Equal([1, 2, 4, 8, 16, 30, 30], Enumerable.Range(1, 7).Select(n => policy.DelayBefore(n).TotalSeconds));
        Assert.Equal(30, policy.DelayBefore(1000).TotalSeconds);
    }
}
