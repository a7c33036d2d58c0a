using OrderPipeline.Processor.Outbox;

namespace OrderPipeline.UnitTests;

[Trait("Category", "Unit")]
public sealed class OutboxBackoffTests
{
    private static readonly OutboxOptions Options = new() { InitialBackoffSeconds = 1, MaxBackoffSeconds = 300 };

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    [InlineData(3, 4)]
    [InlineData(9, 256)]
    [InlineData(10, 300)]
    [InlineData(1000, 300)]
    [InlineData(int.MaxValue, 300)]
    public void Doubles_with_each_failure_up_to_the_cap(int failures, double seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), OutboxBackoff.Delay(failures, Options));

    [Fact]
    public void A_row_never_counted_as_failed_waits_the_initial_delay() =>
        Assert.Equal(TimeSpan.FromSeconds(1), OutboxBackoff.Delay(0, Options));

    [Fact]
    public void No_initial_delay_means_no_backoff() =>
        Assert.Equal(TimeSpan.Zero, OutboxBackoff.Delay(5, new OutboxOptions { InitialBackoffSeconds = 0 }));

    [Fact]
    public void A_cap_below_the_initial_delay_does_not_shorten_it() =>
        Assert.Equal(TimeSpan.FromSeconds(10), OutboxBackoff.Delay(3, new OutboxOptions { InitialBackoffSeconds = 10, MaxBackoffSeconds = 5 }));
}
