using System.Collections.Immutable;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OrderPipeline.AppHost.Lambda.EventSources;

namespace OrderPipeline.AppHost.Lambda.Schedules;

/// <summary>
/// A <see cref="LambdaScheduleResource"/>'s life in the AppHost: it waits for its function, runs the schedule until the
/// AppHost stops, shows what it did in the dashboard, and runs the "Run now" command.
/// </summary>
internal static class LambdaScheduleHost
{
    /// <summary>The dashboard's properties of a schedule before it starts.</summary>
    public static ImmutableArray<ResourcePropertySnapshot> InitialProperties(LambdaScheduleResource schedule) =>
        WithState(ImmutableArray<ResourcePropertySnapshot>.Empty
            .With("schedule.function", "Function", schedule.Parent.Name, sortOrder: 10)
            .With("schedule.rate", "Rate", FormatRate(schedule.Rate), highlighted: true, sortOrder: 1)
            .With("schedule.input", "Input", schedule.Input, sortOrder: 11),
            new LambdaScheduleRunner.Snapshot(0, 0, 0, null, null, Running: false));

    /// <summary>The rate as EventBridge writes one: <c>rate(1 minute)</c>, <c>rate(30 seconds)</c>.</summary>
    public static string FormatRate(TimeSpan rate)
    {
        static string Of(double count, string unit) =>
            string.Create(CultureInfo.InvariantCulture, $"rate({count} {unit}{(count == 1 ? "" : "s")})");
        return rate switch
        {
            { TotalDays: >= 1 } when rate.Ticks % TimeSpan.TicksPerDay == 0 => Of(rate.TotalDays, "day"),
            { TotalHours: >= 1 } when rate.Ticks % TimeSpan.TicksPerHour == 0 => Of(rate.TotalHours, "hour"),
            { TotalMinutes: >= 1 } when rate.Ticks % TimeSpan.TicksPerMinute == 0 => Of(rate.TotalMinutes, "minute"),
            _ when rate.Ticks % TimeSpan.TicksPerSecond == 0 => Of(rate.TotalSeconds, "second"),
            _ => Of(rate.TotalMilliseconds, "millisecond"),
        };
    }

    public static Task StartAsync(LambdaScheduleResource schedule, InitializeResourceEvent @event, CancellationToken cancellationToken)
    {
        var stopping = @event.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
        var functions = @event.Services.GetRequiredService<LambdaFunctions>();
        var logger = @event.Services.GetRequiredService<ResourceLoggerService>().GetLogger(schedule);
        _ = RunAsync(schedule, @event.Notifications, functions, logger, stopping);
        return Task.CompletedTask;
    }

    /// <summary>"Run now": one run, its outcome as the command's result.</summary>
    public static async Task<ExecuteCommandResult> RunNowAsync(LambdaScheduleResource schedule, ExecuteCommandContext context)
    {
        if (schedule.Runner is not { } runner)
        {
            return CommandResults.Failure($"The schedule {schedule.Name} has not started.");
        }
        var result = await runner.RunNowAsync(context.CancellationToken).ConfigureAwait(false);
        return result switch
        {
            null when context.CancellationToken.IsCancellationRequested => CommandResults.Canceled(),
            null => CommandResults.Failure($"A run of {schedule.Parent.Name} is under way: try again when it ends."),
            { Outcome: LambdaInvocationOutcome.Succeeded } => CommandResults.Success($"{schedule.Parent.Name} ran: {runner.Read().LastOutcome}."),
            _ => CommandResults.Failure($"The run of {schedule.Parent.Name} ended {runner.Read().LastOutcome}."),
        };
    }

    private static async Task RunAsync(LambdaScheduleResource schedule, ResourceNotificationService notifications, LambdaFunctions functions,
        ILogger logger, CancellationToken stopping)
    {
        try
        {
            await notifications.PublishUpdateAsync(schedule, s => s with { State = KnownResourceStates.Waiting }).ConfigureAwait(false);
            await notifications.WaitForDependenciesAsync(schedule, stopping).ConfigureAwait(false);

            var runner = new LambdaScheduleRunner(new RegisteredInvoker(functions, schedule.Parent), schedule.Input, schedule.Rate, logger);
            runner.Changed += () => _ = PublishAsync(schedule, runner, notifications, logger);
            schedule.Runner = runner;
            await notifications.PublishUpdateAsync(schedule, s => s with
            {
                State = KnownResourceStates.Running,
                StartTimeStamp = DateTime.UtcNow,
            }).ConfigureAwait(false);
            logger.LogInformation("Invoking {Function} every {Rate} with {Input}", schedule.Parent.Name, FormatRate(schedule.Rate), schedule.Input);
            await runner.RunAsync(stopping).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // The AppHost is stopping.
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "The schedule {Schedule} did not start", schedule.Name);
            await notifications.PublishUpdateAsync(schedule, s => s with { State = KnownResourceStates.FailedToStart }).ConfigureAwait(false);
            return;
        }
        await notifications.PublishUpdateAsync(schedule, s => s with
        {
            State = KnownResourceStates.Finished,
            StopTimeStamp = DateTime.UtcNow,
        }).ConfigureAwait(false);
    }

    private static async Task PublishAsync(LambdaScheduleResource schedule, LambdaScheduleRunner runner, ResourceNotificationService notifications,
        ILogger logger)
    {
        try
        {
            // Read inside the update: of updates racing each other, the last one applied shows the newest state.
            await notifications.PublishUpdateAsync(schedule, s => s with { Properties = WithState(s.Properties, runner.Read()) }).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            logger.LogDebug(ex, "Could not show the state of {Schedule}", schedule.Name);
        }
    }

    private static ImmutableArray<ResourcePropertySnapshot> WithState(ImmutableArray<ResourcePropertySnapshot> properties,
        LambdaScheduleRunner.Snapshot state) => properties
        .With("schedule.lastRun", "Last run", state.LastRunTime?.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture) ?? "none",
            highlighted: true, sortOrder: 2)
        .With("schedule.lastOutcome", "Last outcome", state.Running ? "running" : state.LastOutcome ?? "none", highlighted: true, sortOrder: 3)
        .With("schedule.runs", "Runs", state.Runs.ToString(CultureInfo.InvariantCulture), highlighted: true, sortOrder: 4)
        .With("schedule.failures", "Failures", state.Failures.ToString(CultureInfo.InvariantCulture), highlighted: true, sortOrder: 5)
        .With("schedule.skipped", "Skipped ticks", state.SkippedTicks.ToString(CultureInfo.InvariantCulture), sortOrder: 6);
}
