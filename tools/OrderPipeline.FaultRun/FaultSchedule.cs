using System.Diagnostics;
using Aspire.Hosting.ApplicationModel;
using OrderPipeline.Testing;

namespace OrderPipeline.FaultRun;

/// <summary>A fault as it happened: what, when (seconds into the load) and for how long.</summary>
public sealed record FaultEvent(string What, double AtSeconds, double? LastedSeconds, string? Problem);

/// <summary>
/// The faults, spread over the load so that each meets orders in every stage: processes killed (the AppHost's
/// supervisor brings them back), the database frozen, refusing writes and killed.
/// </summary>
public sealed class FaultSchedule(PipelineSystem pipeline, FaultRunOptions options, TextWriter progress)
{
    public List<FaultEvent> Events { get; } = [];

    public async Task RunAsync(Stopwatch clock, CancellationToken cancellationToken)
    {
        var load = TimeSpan.FromSeconds(options.LoadSeconds);
        var outage = TimeSpan.FromSeconds(options.OutageSeconds);
        await AtAsync(clock, load * 0.05, cancellationToken);
        await KillAsync(pipeline.Processors[0], clock, cancellationToken);
        await AtAsync(clock, load * 0.12, cancellationToken);
        await KillAsync("notifier", clock, cancellationToken);
        await AtAsync(clock, load * 0.18, cancellationToken);
        await OutageAsync("database frozen (SIGSTOP)", MySqlOutageCommands.Freeze, MySqlOutageCommands.Thaw, outage, clock, cancellationToken);
        await AtAsync(clock, load * 0.5, cancellationToken);
        await OutageAsync(
            "database refusing writes (read_only, as after a failover)",
            MySqlOutageCommands.RefuseWrites, MySqlOutageCommands.AcceptWrites, outage, clock, cancellationToken);
        await AtAsync(clock, load * 0.8, cancellationToken);
        await KillAsync("mysql", clock, cancellationToken);
        await AtAsync(clock, load * 0.9, cancellationToken);
        await KillAsync(pipeline.Processors[^1], clock, cancellationToken);
    }

    private async Task KillAsync(string resource, Stopwatch clock, CancellationToken cancellationToken)
    {
        var at = clock.Elapsed.TotalSeconds;
        string? problem = null;
        try
        {
            var pid = await pipeline.KillAsync(resource, cancellationToken);
            Report($"{resource} killed (SIGKILL, pid {pid})", at);
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
        {
            problem = ex.Message;
            Report($"{resource} could not be killed: {problem}", at);
        }
        Events.Add(new FaultEvent($"{resource} killed (SIGKILL)", at, null, problem));
    }

    private async Task OutageAsync(string what, string begin, string end, TimeSpan length, Stopwatch clock, CancellationToken cancellationToken)
    {
        var asked = clock.Elapsed.TotalSeconds;
        var started = await pipeline.ExecuteCommandAsync("mysql", begin, cancellationToken);
        // Going read-only waits for the writes in progress, so the outage starts when the command returns.
        var at = clock.Elapsed.TotalSeconds;
        Report(
            $"{what}: begins{(at - asked >= 1 ? $" (the command took {at - asked:0} s)" : "")}"
                + $"{(started.Success ? "" : " - FAILED: " + started.Message)}",
            at);
        await Task.Delay(length, cancellationToken);
        var ended = await pipeline.ExecuteCommandAsync("mysql", end, cancellationToken);
        var lasted = clock.Elapsed.TotalSeconds - at;
        Report($"{what}: ends after {lasted:0} s{(ended.Success ? "" : " - FAILED: " + ended.Message)}", clock.Elapsed.TotalSeconds);
        var problem = !started.Success ? started.Message : !ended.Success ? ended.Message : null;
        Events.Add(new FaultEvent(what, at, lasted, problem));
    }

    private static async Task AtAsync(Stopwatch clock, TimeSpan due, CancellationToken cancellationToken)
    {
        if (due > clock.Elapsed)
        {
            await Task.Delay(due - clock.Elapsed, cancellationToken);
        }
    }

    private void Report(string line, double at) => progress.WriteLine($"[{at,6:0.0} s] {line}");
}
