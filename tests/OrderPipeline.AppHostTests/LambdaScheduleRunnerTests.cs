using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using OrderPipeline.AppHost.Lambda;
using OrderPipeline.AppHost.Lambda.Schedules;
using OrderPipeline.Tests.Shared;

namespace OrderPipeline.AppHostTests;

/// <summary>A schedule's runs on a fake clock, against a fake function: when they come, what is skipped, what fails.</summary>
[Trait("Category", "Unit")]
public sealed class LambdaScheduleRunnerTests
{
    private const string Input = """{"orderpipeline":"relay-outbox"}""";
    private static readonly TimeSpan Rate = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task The_first_run_comes_one_rate_after_the_start_then_one_every_rate_with_the_input_as_the_event()
    {
        var clock = new FakeTimeProvider();
        var started = clock.GetUtcNow();
        var function = new FakeLambdaInvoker();
        var runner = new LambdaScheduleRunner(function, Input, Rate, NullLogger.Instance, clock);
        using var stop = new CancellationTokenSource();
        var running = runner.RunAsync(stop.Token);

        clock.Advance(Rate - TimeSpan.FromSeconds(1));
        clock.Advance(TimeSpan.FromSeconds(1));
        await Eventually.UntilAsync(() => runner.Read() is { Runs: 1, Running: false }, Deadline, () => $"one run: {runner.Read()}");
        Assert.Equal(started + Rate, runner.Read().LastRunTime);
        clock.Advance(Rate);
        await Eventually.UntilAsync(() => runner.Read() is { Runs: 2, Running: false }, Deadline, () => $"two runs: {runner.Read()}");

        Assert.Equal(new LambdaScheduleRunner.Snapshot(2, 0, 0, started + Rate + Rate, "Succeeded (200)", Running: false), runner.Read());
        Assert.All(function.Invocations, i => Assert.Equal((Input, "/events"), (i.Json, i.Path)));
        await stop.CancelAsync();
        await running.WaitAsync(Deadline, TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task A_tick_that_comes_while_a_run_is_under_way_is_skipped_and_counted()
    {
        var clock = new FakeTimeProvider();
        var release = new TaskCompletionSource<LambdaInvocationResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        var function = new FakeLambdaInvoker { Answer = (_, _) => release.Task };
        var runner = new LambdaScheduleRunner(function, Input, Rate, NullLogger.Instance, clock);
        using var stop = new CancellationTokenSource();
        var running = runner.RunAsync(stop.Token);

        clock.Advance(Rate);
        await Eventually.UntilAsync(() => function.Invocations.Count == 1, Deadline, () => "the first run");
        clock.Advance(Rate);
        await Eventually.UntilAsync(() => runner.Read().SkippedTicks == 1, Deadline, () => $"a skipped tick: {runner.Read()}");
        Assert.Equal((1L, true), (runner.Read().Runs, runner.Read().Running));
        Assert.Single(function.Invocations);

        release.SetResult(FakeLambdaInvoker.Succeeded());
        await Eventually.UntilAsync(() => !runner.Read().Running, Deadline, () => "the first run's end");
        clock.Advance(Rate);
        await Eventually.UntilAsync(() => runner.Read() is { Runs: 2, Running: false }, Deadline, () => $"the next run: {runner.Read()}");
        Assert.Equal(2, function.Invocations.Count);
        Assert.Equal(1, runner.Read().SkippedTicks);
        await stop.CancelAsync();
        await running.WaitAsync(Deadline, TestContext.Current.CancellationToken);
    }

    [Theory]
    [InlineData(nameof(LambdaInvocationOutcome.FunctionError), 500, "FunctionError (500)")]
    [InlineData(nameof(LambdaInvocationOutcome.TimedOut), 0, "TimedOut")]
    [InlineData(nameof(LambdaInvocationOutcome.Throttled), 0, "Throttled")]
    public async Task A_failed_run_is_counted_and_not_retried(string outcomeName, int statusCode, string shown)
    {
        var outcome = Enum.Parse<LambdaInvocationOutcome>(outcomeName);
        var clock = new FakeTimeProvider();
        var function = new FakeLambdaInvoker { Answer = (_, _) => Task.FromResult(new LambdaInvocationResult(outcome, statusCode, [], [])) };
        var runner = new LambdaScheduleRunner(function, Input, Rate, NullLogger.Instance, clock);
        using var stop = new CancellationTokenSource();
        var running = runner.RunAsync(stop.Token);

        clock.Advance(Rate);
        await Eventually.UntilAsync(() => runner.Read() is { Runs: 1, Running: false }, Deadline, () => $"the run's end: {runner.Read()}");

        Assert.Equal((1L, shown), (runner.Read().Failures, runner.Read().LastOutcome));
        Assert.Single(function.Invocations);
        await stop.CancelAsync();
        await running.WaitAsync(Deadline, TestContext.Current.CancellationToken);
        Assert.Single(function.Invocations);
    }

    [Fact]
    public async Task Run_now_invokes_once_and_is_refused_while_a_run_is_under_way()
    {
        var clock = new FakeTimeProvider();
        var release = new TaskCompletionSource<LambdaInvocationResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        release.SetResult(FakeLambdaInvoker.Succeeded("""{"name":"relay-outbox","result":"relayed 0"}"""));
        var function = new FakeLambdaInvoker { Answer = (_, _) => release.Task };
        var runner = new LambdaScheduleRunner(function, Input, Rate, NullLogger.Instance, clock);

        var result = await runner.RunNowAsync(TestContext.Current.CancellationToken);

        Assert.Equal(LambdaInvocationOutcome.Succeeded, result?.Outcome);
        Assert.Equal(Input, Assert.Single(function.Invocations).Json);
        Assert.Equal(new LambdaScheduleRunner.Snapshot(1, 0, 0, clock.GetUtcNow(), "Succeeded (200)", Running: false), runner.Read());

        release = new TaskCompletionSource<LambdaInvocationResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        var first = runner.RunNowAsync(TestContext.Current.CancellationToken);
        Assert.Null(await runner.RunNowAsync(TestContext.Current.CancellationToken));
        release.SetResult(FakeLambdaInvoker.Succeeded());
        Assert.NotNull(await first);
        Assert.Equal(2, function.Invocations.Count);
        // A refused "Run now" is no tick of the schedule.
        Assert.Equal((2L, 0L), (runner.Read().Runs, runner.Read().SkippedTicks));
    }

    [Fact]
    public async Task Stopping_cancels_the_run_under_way_and_it_is_not_a_failure()
    {
        var clock = new FakeTimeProvider();
        var function = new FakeLambdaInvoker
        {
            Answer = async (_, cancellationToken) =>
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
                return FakeLambdaInvoker.Succeeded();
            },
        };
        var runner = new LambdaScheduleRunner(function, Input, Rate, NullLogger.Instance, clock);
        using var stop = new CancellationTokenSource();
        var running = runner.RunAsync(stop.Token);
        clock.Advance(Rate);
        await Eventually.UntilAsync(() => function.Invocations.Count == 1, Deadline, () => "a run");

        await stop.CancelAsync();
        await running.WaitAsync(Deadline, TestContext.Current.CancellationToken);

        Assert.Equal(new LambdaScheduleRunner.Snapshot(1, 0, 0, clock.GetUtcNow(), "Cancelled", Running: false), runner.Read());
    }
}
