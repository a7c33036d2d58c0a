using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Aspire.Hosting.ApplicationModel;
using OrderPipeline.Testing;

namespace OrderPipeline.FaultRun;

/// <summary>
/// The handles the fault run needs on the system (started by <see cref="PipelineSystem"/>) beyond starting it:
/// killing a resource's process and reading its restarts.
/// </summary>
public static class ResourceFaults
{
    /// <summary>SIGKILL the resource's process, as a crash or the OOM killer would; the AppHost's supervisor restarts it.</summary>
    /// <returns>The pid that was killed.</returns>
    public static async Task<int> KillAsync(this PipelineSystem system, string resource, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(system);
        var state = await system.App.ResourceNotifications.WaitForResourceAsync(resource, e => PipelineSystem.ProcessIdOf(e) is not null, cancellationToken);
        var pid = PipelineSystem.ProcessIdOf(state)!.Value;
        using var process = Process.GetProcessById(pid);
        process.Kill();
        return pid;
    }

    /// <summary>How many times the AppHost's supervisor restarted the resource (its dashboard property).</summary>
    public static async Task<int> RestartsOfAsync(this PipelineSystem system, string resource, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(system);
        var state = await system.App.ResourceNotifications.WaitForResourceAsync(resource, _ => true, cancellationToken);
        var value = state.Snapshot.Properties.FirstOrDefault(p => p.Name == "supervision.restarts")?.Value;
        return value is null ? 0 : Convert.ToInt32(value, CultureInfo.InvariantCulture);
    }
}

/// <summary>
/// The handles the fault run needs on the system in its Lambda shape: the functions' sandboxes (their counts are
/// <see cref="LambdaReadings"/>', shared with the benchmarks).
/// </summary>
public static class LambdaFaults
{
    /// <summary>How long a kill waits for a sandbox that is mid-invocation before it kills the frozen ones anyway.</summary>
    private static readonly TimeSpan MidInvocationWait = TimeSpan.FromSeconds(3);

    /// <summary>How long a hang waits for a sandbox that is mid-invocation.</summary>
    private static readonly TimeSpan HangWait = TimeSpan.FromSeconds(60);

    private const int SigStop = 19;

    /// <summary>The function's timeout, as the AppHost runs it (the template's, or <c>AppHost:FunctionTimeouts</c>').</summary>
    public static TimeSpan TimeoutOf(this PipelineSystem system, string function)
    {
        ArgumentNullException.ThrowIfNull(system);
        return ((LambdaFunctionResource)system.Resource(function)).Options.Timeout;
    }

    /// <summary>
    /// SIGKILLs every sandbox of the function, as a crash or the OOM killer would end them: once one of them is
    /// mid-invocation (not frozen), so that a batch or a request dies with it, or after a few seconds without one. The
    /// next invocation starts a new sandbox; an event source's batch comes back after its visibility timeout.
    /// </summary>
    /// <returns>The processes killed, and how many of them were mid-invocation.</returns>
    public static async Task<(IReadOnlyList<int> Killed, int MidInvocation)> KillSandboxesAsync(
        this PipelineSystem system, string function, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(system);
        var waited = Stopwatch.StartNew();
        IReadOnlyList<(int Pid, bool Running)> sandboxes;
        while (true)
        {
            sandboxes = await SandboxesOfAsync(system, function, cancellationToken);
            if (sandboxes.Any(s => s.Running) || waited.Elapsed > MidInvocationWait)
            {
                break;
            }
            await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken);
        }
        if (sandboxes.Count == 0)
        {
            throw new InvalidOperationException($"{function} has no sandbox to kill.");
        }
        var killed = new List<int>();
        foreach (var (pid, _) in sandboxes)
        {
            try
            {
                using var process = Process.GetProcessById(pid);
                process.Kill(); // SIGKILL, frozen or not
                killed.Add(pid);
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
            {
                // Gone between the look and the kill (reclaimed, or its invocation timed out).
            }
        }
        return (killed, sandboxes.Count(s => s.Running && killed.Contains(s.Pid)));
    }

    /// <summary>
    /// Stops (SIGSTOP) one sandbox of the function that is mid-invocation, as a program that hangs (a deadlock, a
    /// stuck call): its invocation runs into the function's timeout, and Lambda kills the sandbox. Waits a while for a
    /// sandbox mid-invocation.
    /// </summary>
    /// <returns>The process stopped.</returns>
    public static async Task<int> HangSandboxAsync(this PipelineSystem system, string function, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(system);
        var waited = Stopwatch.StartNew();
        while (waited.Elapsed < HangWait)
        {
            foreach (var (pid, running) in await SandboxesOfAsync(system, function, cancellationToken))
            {
                // Running is not frozen by Lambda: mid-invocation (or in the moment around one, which the caller finds out).
                if (running && Signal(pid, SigStop) == 0)
                {
                    return pid;
                }
            }
            await Task.Delay(TimeSpan.FromMilliseconds(50), cancellationToken);
        }
        throw new InvalidOperationException($"{function} had no sandbox mid-invocation within {HangWait.TotalSeconds:0} s.");
    }

    /// <summary>
    /// Waits until a hung sandbox is killed (true), or is continued (false: the process runs again, which only Lambda's
    /// thaw does, so its invocation had ended before the stop and Lambda froze it), or <paramref name="limit"/> passes.
    /// </summary>
    public static async Task<bool> WaitUntilKilledAsync(int pid, TimeSpan limit, CancellationToken cancellationToken)
    {
        var waited = Stopwatch.StartNew();
        var runningSeen = 0;
        while (waited.Elapsed < limit)
        {
            if (StateOf(pid) is not { State: var state } || state is 'Z' or 'X')
            {
                return true;
            }
            // Twice in a row, so that a process on its way out after the kill is not taken for a continued one.
            runningSeen = state is 'T' or 't' ? 0 : runningSeen + 1;
            if (runningSeen >= 2)
            {
                return false;
            }
            await Task.Delay(TimeSpan.FromMilliseconds(200), cancellationToken);
        }
        return false;
    }

    /// <summary>
    /// The function's sandboxes, as its dashboard lists them, that are alive and this program's children (the AppHost
    /// runs in this process, and the list may be a second old), and whether each is serving an invocation (its
    /// "lambda.sandbox.busy"; an idle one is frozen a moment after its invocation).
    /// </summary>
    private static async Task<IReadOnlyList<(int Pid, bool Running)>> SandboxesOfAsync(
        PipelineSystem system, string function, CancellationToken cancellationToken)
    {
        var state = await system.App.ResourceNotifications.WaitForResourceAsync(function, _ => true, cancellationToken);
        IEnumerable<int> Pids(string property) => (state.Snapshot.Properties.FirstOrDefault(p => p.Name == property)?.Value as string ?? "")
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => int.Parse(p, CultureInfo.InvariantCulture));
        var busy = Pids("lambda.sandbox.busy").ToHashSet();
        return [.. Pids("lambda.sandbox.pids").Select(StateOf).OfType<(int Pid, char State, int ParentPid)>()
            .Where(s => s.ParentPid == Environment.ProcessId && s.State is not ('Z' or 'X'))
            .Select(s => (s.Pid, busy.Contains(s.Pid) && s.State is not ('T' or 't')))];
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Signal(int pid, int signal);

    /// <summary>A process's state letter and parent from /proc (null when it is gone).</summary>
    private static (int Pid, char State, int ParentPid)? StateOf(int pid)
    {
        try
        {
            // "pid (comm) S ppid ...": the command may hold spaces and parentheses, so read after the last ')'.
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return (pid, fields[0][0], int.Parse(fields[1], CultureInfo.InvariantCulture));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }
}
