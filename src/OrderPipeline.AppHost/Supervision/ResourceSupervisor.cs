using System.Collections.Concurrent;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace OrderPipeline.AppHost.Supervision;

/// <summary>
/// Aspire leaves an executable that exited in the Finished state. This watches every resource with an
/// <see cref="AutoRestartAnnotation"/> and starts it again through its own Start command, so the dashboard shows
/// what happened. A process that ends by itself goes from Running straight to Finished (or from Starting to
/// FailedToStart); one that DCP stops (the Stop command, the AppHost shutting down) passes through Stopping first,
/// and is left alone.
/// </summary>
internal sealed class ResourceSupervisor(ResourceNotificationService notifications, ResourceCommandService commands,
    ResourceLoggerService loggers, IHostApplicationLifetime lifetime) : BackgroundService
{
    private readonly ConcurrentDictionary<string, Supervision> _supervised = new(StringComparer.Ordinal);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await foreach (var update in notifications.WatchAsync(stoppingToken).ConfigureAwait(false))
        {
            if (!update.Resource.TryGetLastAnnotation<AutoRestartAnnotation>(out var policy))
            {
                continue;
            }
            var supervision = _supervised.GetOrAdd(update.ResourceId, _ => new Supervision());
            var state = update.Snapshot.State?.Text;
            var previous = supervision.LastState;
            supervision.LastState = state;

            if (state == KnownResourceStates.Running && update.Snapshot.HealthStatus == HealthStatus.Healthy)
            {
                supervision.ConsecutiveRestarts = 0;
            }
            else if (ExitedOnItsOwn(previous, state) && !lifetime.ApplicationStopping.IsCancellationRequested)
            {
                _ = RestartAsync(update, policy, supervision, stoppingToken);
            }
        }
    }

    /// <summary>True for a process that ended without DCP being asked to stop it.</summary>
    internal static bool ExitedOnItsOwn(string? previousState, string? state) =>
        state is "Finished" or "FailedToStart" && previousState is not ("Stopping" or "Finished" or "FailedToStart");

    private async Task RestartAsync(ResourceEvent exited, AutoRestartAnnotation policy, Supervision supervision, CancellationToken stoppingToken)
    {
        var logger = loggers.GetLogger(exited.ResourceId);
        var restart = ++supervision.ConsecutiveRestarts;
        var total = ++supervision.TotalRestarts;
        if (restart > policy.MaxConsecutiveRestarts)
        {
            logger.LogError(
                "Exited (code {ExitCode}) after {Restarts} restarts that never became healthy: left stopped. "
                    + "Start it from the dashboard once the cause is fixed.",
                exited.Snapshot.ExitCode, policy.MaxConsecutiveRestarts);
            return;
        }
        var delay = policy.DelayBefore(restart);
        logger.LogWarning("Exited unexpectedly (code {ExitCode}): starting it again in {Delay} s (restart {Restart} of at most {Max} in a row)",
            exited.Snapshot.ExitCode, delay.TotalSeconds, restart, policy.MaxConsecutiveRestarts);
        try
        {
            await Task.Delay(delay, stoppingToken).ConfigureAwait(false);
            if (lifetime.ApplicationStopping.IsCancellationRequested || supervision.LastState is not ("Finished" or "FailedToStart"))
            {
                return; // shutting down, or someone started it meanwhile
            }
            await notifications.PublishUpdateAsync(exited.Resource, exited.ResourceId, s => s with
            {
                Properties = s.Properties.With("supervision.restarts", "Restarts by the AppHost", total, highlighted: true),
            }).ConfigureAwait(false);
            var result = await commands.ExecuteCommandAsync(exited.ResourceId, KnownResourceCommands.StartCommand, stoppingToken).ConfigureAwait(false);
            if (!result.Success)
            {
                logger.LogError("Could not start it again: {Message}", result.Message);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The AppHost is stopping.
        }
        catch (Exception ex)
        {
            // Nobody awaits this task: say it here, or the resource would stay stopped without a word.
            logger.LogError(ex, "Could not start it again");
        }
    }

    private sealed class Supervision
    {
        public volatile string? LastState;
        public int ConsecutiveRestarts;
        public int TotalRestarts;
    }
}
