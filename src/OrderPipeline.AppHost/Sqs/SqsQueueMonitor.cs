using System.Globalization;
using System.Net.Http.Json;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace OrderPipeline.AppHost.Sqs;

/// <summary>
/// Every few seconds, shows each queue's visible and in-flight messages and the age of its oldest message as live
/// properties in the dashboard. It reads the emulator's inspection endpoint, which changes nothing (a receive
/// would count against the messages' receive counts). A queue missing from a running emulator means the emulator
/// started again behind our back: its queues are created again.
/// </summary>
internal sealed class SqsQueueMonitor(DistributedApplicationModel model, ResourceNotificationService notifications,
    SqsQueueProvisioner provisioner, ResourceLoggerService loggers) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(3);
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(5) };

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var emulators = model.Resources.OfType<SqsEmulatorResource>().ToList();
        if (emulators.Count == 0)
        {
            return;
        }
        using var timer = new PeriodicTimer(Interval);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            foreach (var emulator in emulators)
            {
                try
                {
                    await RefreshAsync(emulator, stoppingToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    // A failed BackgroundService stops the host: an emulator caught mid-restart must not stop the AppHost.
                    loggers.GetLogger(emulator).LogWarning("Could not refresh the queues of {Emulator}: {Message}", emulator.Name, ex.Message);
                }
            }
        }
    }

    private async Task RefreshAsync(SqsEmulatorResource emulator, CancellationToken cancellationToken)
    {
        QueueStats[]? stats;
        try
        {
            if (!emulator.PrimaryEndpoint.IsAllocated)
            {
                return;
            }
            stats = await Http.GetFromJsonAsync<QueueStats[]>($"{emulator.PrimaryEndpoint.Url}/_orderpipeline/queues", cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            foreach (var queue in emulator.Queues)
            {
                await notifications.PublishUpdateAsync(queue, s => s with { State = KnownResourceStates.Waiting }).ConfigureAwait(false);
            }
            return;
        }

        var byName = (stats ?? []).ToDictionary(s => s.Name, StringComparer.Ordinal);
        if (emulator.Queues.Any(q => !byName.ContainsKey(q.QueueName)))
        {
            loggers.GetLogger(emulator).LogWarning("Queues missing from {Emulator} (it started again): creating them", emulator.Name);
            await provisioner.ProvisionAsync(emulator, cancellationToken).ConfigureAwait(false);
            return;
        }
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        foreach (var queue in emulator.Queues)
        {
            var queueStats = byName[queue.QueueName];
            var age = queueStats.OldestSentTimestamp is { } sent ? FormatAge(TimeSpan.FromMilliseconds(Math.Max(0, now - sent))) : "none";
            await notifications.PublishUpdateAsync(queue, s => s with
            {
                State = KnownResourceStates.Running,
                Properties = s.Properties
                    .With("queue.visible", "Visible messages", queueStats.Visible.ToString(CultureInfo.InvariantCulture), highlighted: true, sortOrder: 1)
                    .With("queue.inFlight", "In flight", queueStats.InFlight.ToString(CultureInfo.InvariantCulture), highlighted: true, sortOrder: 2)
                    .With("queue.oldest", "Oldest message age", age, highlighted: true, sortOrder: 3),
            }).ConfigureAwait(false);
        }
    }

    internal static string FormatAge(TimeSpan age) => age switch
    {
        { TotalSeconds: < 60 } => $"{age.TotalSeconds:0} s",
        { TotalMinutes: < 60 } => $"{age.TotalMinutes:0} min",
        { TotalHours: < 48 } => $"{age.TotalHours:0.#} h",
        _ => $"{age.TotalDays:0.#} days",
    };

    private sealed record QueueStats(string Name, int Visible, int InFlight, int Delayed, long? OldestSentTimestamp);
}
