using System.Diagnostics;
using System.Runtime.InteropServices;

namespace OrderPipeline.AppHost.Hosting;

/// <summary>A child process whose output goes to a resource's log, stopped with SIGTERM and, if it lingers, SIGKILL.</summary>
public sealed partial class ChildProcess : IDisposable
{
    private readonly Process _process;
    private int _stopRequested;

    private ChildProcess(Process process) => _process = process;

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public int? ExitCode => _process.HasExited ? _process.ExitCode : null;

    /// <summary>True when the exit was asked for (stop, restart), not a crash.</summary>
    public bool StopRequested => Volatile.Read(ref _stopRequested) == 1;

    public Task Exited { get; private init; } = Task.CompletedTask;

    public static ChildProcess Start(string fileName, IEnumerable<string> arguments, IReadOnlyDictionary<string, string> environment, string workingDirectory, ResourceLog log)
    {
        // In a session of its own, so a Ctrl+C in the terminal reaches only the AppHost, which then stops
        // the children in order instead of all of them dying at once and being taken for crashes.
        var setsid = File.Exists("/usr/bin/setsid") ? "/usr/bin/setsid" : null;
        var info = new ProcessStartInfo(setsid ?? fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        if (setsid is not null)
        {
            info.ArgumentList.Add(fileName);
        }
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var exited = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) log.Write(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) log.Write(e.Data, isError: true); };
        process.Exited += (_, _) => exited.TrySetResult();
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new ChildProcess(process) { Exited = exited.Task };
    }

    /// <summary>SIGTERM, then SIGKILL after <paramref name="grace"/>.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        Interlocked.Exchange(ref _stopRequested, 1);
        if (_process.HasExited)
        {
            return;
        }
        Signal(Sigterm);
        if (await Task.WhenAny(Exited, Task.Delay(grace)).ConfigureAwait(false) != Exited)
        {
            Kill();
            await Exited.ConfigureAwait(false);
        }
    }

    /// <summary>SIGKILL, as a crash would; the resource treats it as a crash and restarts.</summary>
    public void Kill()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    public void Dispose() => _process.Dispose();

    private const int Sigterm = 15;

    private void Signal(int signal)
    {
        try
        {
            _ = SendSignal(_process.Id, signal);
        }
        catch (InvalidOperationException)
        {
            // Exited meanwhile.
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int SendSignal(int pid, int signal);
}
