using System.Diagnostics;
using System.Globalization;
using Aspire.Hosting.ApplicationModel;
using OrderPipeline.Testing;

namespace OrderPipeline.FaultRun;

/// <summary>A fault as it happened: what, when (seconds into the load) and for how long.</summary>
public sealed record FaultEvent(string What, double AtSeconds, double? LastedSeconds, string? Problem);

/// <summary>
/// The faults, spread over the load so that each meets orders in every stage: processes killed (the AppHost's
/// supervisor brings them back), the database frozen, refusing writes and killed. In the Lambda shape a function's
/// sandboxes are killed instead of a service's process, and an order-processor invocation passes its timeout.
/// </summary>
public sealed class FaultSchedule(PipelineSystem pipeline, FaultRunOptions options, TextWriter progress)
{
    /// <summary>The function that settles orders, in the Lambda shape.</summary>
    public const string ProcessorFunction = "order-processor";

    /// <summary>The function that writes the notifications, in the Lambda shape.</summary>
    public const string NotifierFunction = "notification-sender";

    private readonly Lock _progressLock = new();

    public List<FaultEvent> Events { get; } = [];

    public Task RunAsync(Stopwatch clock, CancellationToken cancellationToken) =>
        options.Lambda ? RunLambdaAsync(clock, cancellationToken) : RunLaptopAsync(clock, cancellationToken);

    private async Task RunLaptopAsync(Stopwatch clock, CancellationToken cancellationToken)
    {
        var load = TimeSpan.FromSeconds(options.LoadSeconds);
        var outage = TimeSpan.FromSeconds(options.OutageSeconds);
        await AtAsync(clock, load * 0.05, cancellationToken);
        await KillAsync(pipeline.Processors[0], clock, cancellationToken);
        await AtAsync(clock, load * 0.12, cancellationToken);
        await KillAsync("notifier", clock, cancellationToken);
        await AtAsync(clock, load * 0.18, cancellationToken);
        await DatabaseFaultsAsync(load, outage, clock, cancellationToken);
        await AtAsync(clock, load * 0.9, cancellationToken);
        await KillAsync(pipeline.Processors[^1], clock, cancellationToken);
    }

    /// <summary>The database's faults, the same in both shapes: frozen, then refusing writes, then killed.</summary>
    private async Task DatabaseFaultsAsync(TimeSpan load, TimeSpan outage, Stopwatch clock, CancellationToken cancellationToken)
    {
        await OutageAsync("database frozen (SIGSTOP)", MySqlOutageCommands.Freeze, MySqlOutageCommands.Thaw, outage, clock, cancellationToken);
        await AtAsync(clock, load * 0.5, cancellationToken);
        await OutageAsync(
            "database refusing writes (read_only, as after a failover)",
            MySqlOutageCommands.RefuseWrites, MySqlOutageCommands.AcceptWrites, outage, clock, cancellationToken);
        await AtAsync(clock, load * 0.8, cancellationToken);
        await KillAsync("mysql", clock, cancellationToken);
    }

    /// <summary>The same moments as the laptop shape's, with the Lambda shape's faults.</summary>
    private async Task RunLambdaAsync(Stopwatch clock, CancellationToken cancellationToken)
    {
        var load = TimeSpan.FromSeconds(options.LoadSeconds);
        var outage = TimeSpan.FromSeconds(options.OutageSeconds);
        await AtAsync(clock, load * 0.05, cancellationToken);
        await KillSandboxesAsync(ProcessorFunction, clock, cancellationToken);
        await AtAsync(clock, load * 0.12, cancellationToken);
        await KillSandboxesAsync(NotifierFunction, clock, cancellationToken);
        await AtAsync(clock, load * 0.18, cancellationToken);
        var timeouts = InvocationPastTimeoutAsync(clock, cancellationToken);
        await DatabaseFaultsAsync(load, outage, clock, cancellationToken);
        // Not before the timeout has passed: the kill would end a hung sandbox as a crash instead. In the order of the
        // faults' times.
        var timedOut = await timeouts;
        Events.Insert(Events.Count(e => e.AtSeconds <= timedOut.AtSeconds), timedOut);
        await AtAsync(clock, load * 0.9, cancellationToken);
        await KillSandboxesAsync(ProcessorFunction, clock, cancellationToken);
    }

    /// <summary>Every sandbox of the function SIGKILLed, one of them mid-invocation if one is within a few seconds.</summary>
    private async Task KillSandboxesAsync(string function, Stopwatch clock, CancellationToken cancellationToken)
    {
        var at = clock.Elapsed.TotalSeconds;
        string? problem = null;
        var what = $"{function}'s sandboxes killed (SIGKILL)";
        try
        {
            var (killed, midInvocation) = await pipeline.KillSandboxesAsync(function, cancellationToken);
            what = $"{function}'s sandboxes killed (SIGKILL, pids {string.Join(' ', killed)}; {midInvocation} mid-invocation)";
            if (killed.Count == 0)
            {
                problem = "every sandbox had gone before the kill";
            }
            Report(what, at);
        }
        catch (InvalidOperationException ex)
        {
            problem = ex.Message;
            Report($"{function}'s sandboxes could not be killed: {problem}", at);
        }
        Events.Add(new FaultEvent(what, at, null, problem));
    }

    /// <summary>
    /// An order-processor invocation that passes the function's timeout, so that Lambda kills its sandbox. A database
    /// outage cannot do it: the template nests the client's timeouts (connect 5 s, a command 10 s) inside the function's
    /// 30 s, so an invocation fails its batch with an outage first. So a sandbox hangs mid-invocation (see
    /// <see cref="LambdaFaults.HangSandboxAsync"/>), as the database freeze begins. The timeouts the function counted,
    /// until the timeout has passed after the hang, are the fault's figure; none is a problem.
    /// </summary>
    private async Task<FaultEvent> InvocationPastTimeoutAsync(Stopwatch clock, CancellationToken cancellationToken)
    {
        var timeout = pipeline.TimeoutOf(ProcessorFunction);
        var before = await pipeline.CountersOfAsync(ProcessorFunction, cancellationToken);
        var (how, problem, at) = await HangPastTimeoutAsync(timeout, clock, cancellationToken);
        // The dashboard's counts are at most a second old.
        await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
        var timedOut = (await pipeline.CountersOfAsync(ProcessorFunction, cancellationToken)).Timeouts - before.Timeouts;
        var what = string.Create(CultureInfo.InvariantCulture,
            $"{ProcessorFunction} invocations past its timeout ({timeout.TotalSeconds:0} s) {how}: {timedOut}");
        Report(what, clock.Elapsed.TotalSeconds);
        return new FaultEvent(what, at, null, problem ?? (timedOut > 0 ? null : "none passed the timeout"));
    }

    /// <summary>
    /// A sandbox of order-processor stopped (SIGSTOP) mid-invocation, as a program that hangs: its invocation passes the
    /// timeout and Lambda kills it. Should the invocation have ended in the instant before the stop, Lambda's own freeze
    /// and thaw undo it, and another sandbox is hung.
    /// </summary>
    private async Task<(string How, string? Problem, double At)> HangPastTimeoutAsync(TimeSpan timeout, Stopwatch clock, CancellationToken cancellationToken)
    {
        var at = clock.Elapsed.TotalSeconds;
        for (var attempt = 1; attempt <= 3; attempt++)
        {
            int pid;
            try
            {
                pid = await pipeline.HangSandboxAsync(ProcessorFunction, cancellationToken);
            }
            catch (InvalidOperationException ex)
            {
                return ("after a hang", ex.Message, at);
            }
            at = clock.Elapsed.TotalSeconds;
            Report($"{ProcessorFunction}'s sandbox hung mid-invocation (SIGSTOP, pid {pid})", at);
            if (await LambdaFaults.WaitUntilKilledAsync(pid, timeout + TimeSpan.FromSeconds(10), cancellationToken))
            {
                return ($"after a sandbox hung mid-invocation (SIGSTOP, pid {pid})", null, at);
            }
            Report($"{ProcessorFunction}'s sandbox {pid} was not killed: its invocation had ended before the stop, and Lambda froze it; again",
                clock.Elapsed.TotalSeconds);
        }
        return ("after a hang", "every hung sandbox had ended its invocation first", at);
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

    // In the Lambda shape the timeout's fault reports while the others go on.
    private void Report(string line, double at)
    {
        lock (_progressLock)
        {
            progress.WriteLine($"[{at,6:0.0} s] {line}");
        }
    }
}
