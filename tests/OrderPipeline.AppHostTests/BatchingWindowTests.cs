using Aspire.Hosting.ApplicationModel;
using OrderPipeline.AppHost.Lambda.EventSources;

namespace OrderPipeline.AppHostTests;

/// <summary>When a poller stops gathering a batch, and how much it asks SQS for; and the options AWS would refuse.</summary>
[Trait("Category", "Unit")]
public sealed class BatchingWindowTests
{
    [Theory]
    // Nothing yet: a full long poll, window or not.
    [InlineData(0, 10, 0, 0, 20)]
    [InlineData(0, 10, 30, 0, 20)]
    // No window: the first receive's messages are the batch.
    [InlineData(1, 10, 0, 0, null)]
    // A full batch goes at once, window or not.
    [InlineData(10, 10, 30, 0, null)]
    [InlineData(4, 4, 30, 1, null)]
    // Within the window: wait for what is left of it, in whole seconds (up), at least 1, at most 20.
    [InlineData(3, 10, 5, 2, 3)]
    [InlineData(3, 10, 5, 4.2, 1)]
    [InlineData(3, 10, 300, 0, 20)]
    // The window has passed.
    [InlineData(3, 10, 5, 5, null)]
    [InlineData(3, 10, 5, 7, null)]
    public void The_next_wait_is_the_rest_of_the_window_until_the_batch_is_full_or_the_window_has_passed(
        int gathered, int batchSize, double windowSeconds, double sinceFirstSeconds, int? expected) =>
        Assert.Equal(expected, BatchingWindow.NextWaitSeconds(gathered, batchSize, TimeSpan.FromSeconds(windowSeconds),
            TimeSpan.FromSeconds(sinceFirstSeconds)));

    [Theory]
    [InlineData(0, 10, 10)]
    [InlineData(3, 10, 7)]
    [InlineData(0, 4, 4)]
    [InlineData(3, 4, 1)]
    public void A_receive_asks_for_what_the_batch_still_takes(int gathered, int batchSize, int expected) =>
        Assert.Equal(expected, BatchingWindow.NextMaxMessages(gathered, batchSize));

    [Fact]
    public void The_options_default_to_Lambdas()
    {
        var options = new SqsEventSourceOptions();

        Assert.Equal(10, options.BatchSize);
        Assert.Equal(TimeSpan.Zero, options.MaximumBatchingWindow);
        Assert.False(options.ReportBatchItemFailures);
        Assert.Null(options.MaximumConcurrency);
        Assert.Equal(SqsEventSourceOptions.LocalDefaultConcurrency, options.EffectiveConcurrency);
        Assert.Equal(7, (options with { MaximumConcurrency = 7 }).EffectiveConcurrency);
    }

    [Fact]
    public void Options_that_AWS_refuses_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new SqsEventSourceOptions { BatchSize = 0 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new SqsEventSourceOptions { BatchSize = 11 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new SqsEventSourceOptions { MaximumBatchingWindow = TimeSpan.FromSeconds(-1) });
        Assert.Throws<ArgumentOutOfRangeException>(() => new SqsEventSourceOptions { MaximumBatchingWindow = TimeSpan.FromSeconds(301) });
        Assert.Throws<ArgumentOutOfRangeException>(() => new SqsEventSourceOptions { MaximumConcurrency = 1 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new SqsEventSourceOptions { MaximumConcurrency = 1001 });
        Assert.Equal(1, new SqsEventSourceOptions { BatchSize = 1 }.BatchSize);
        Assert.Equal(2, new SqsEventSourceOptions { MaximumConcurrency = 2 }.MaximumConcurrency);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    [InlineData(3, 4)]
    [InlineData(4, 5)]
    [InlineData(40, 5)]
    public void The_wait_after_sqs_errors_in_a_row_doubles_up_to_five_seconds(int errorsInARow, int seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), SqsEventSourcePoller.Backoff(errorsInARow));
}
