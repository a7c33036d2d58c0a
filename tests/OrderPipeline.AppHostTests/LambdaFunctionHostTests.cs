using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Logging.Abstractions;
using OrderPipeline.AppHost.Lambda;

namespace OrderPipeline.AppHostTests;

/// <summary>
/// A function host's sandboxes are its processes: none may outlive it, not even one whose init is still under way when
/// the AppHost stops (its program would keep running, unowned, after the AppHost and the tests are gone).
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class LambdaFunctionHostTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("op-host-").FullName;

    [Fact]
    public async Task A_sandbox_still_starting_when_its_invocation_is_cancelled_is_ended()
    {
        using var host = Host(out var pidFile);
        using var stopping = new CancellationTokenSource();
        var warmUp = host.WarmUpAsync(stopping.Token);
        var pid = await PidAsync(pidFile);

        await stopping.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => warmUp);
        Assert.True(await EndedAsync(pid), $"the starting sandbox's process {pid} is still running");
    }

    [Fact]
    public async Task A_sandbox_still_starting_when_the_host_is_disposed_is_ended()
    {
        var host = Host(out var pidFile);
        var warmUp = host.WarmUpAsync(TestContext.Current.CancellationToken);
        var pid = await PidAsync(pidFile);

        host.Dispose();

        Assert.True(await EndedAsync(pid), $"the starting sandbox's process {pid} is still running");
        await Assert.ThrowsAsync<InvalidOperationException>(() => warmUp);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>A host whose program never becomes ready (it never listens); it writes its pid to <paramref name="pidFile"/>.</summary>
    private LambdaFunctionHost Host(out string pidFile)
    {
        pidFile = Path.Combine(_directory, "sandbox.pid");
        var program = Path.Combine(_directory, "never-ready.sh");
        File.WriteAllText(program, "#!/bin/sh\necho $$ > \"$PID_FILE\"\nexec sleep 300\n");
        File.SetUnixFileMode(program, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var function = new LambdaFunctionResource("never-ready", program, _directory, new LambdaFunctionOptions());
        // An init timeout far beyond the test's waits: only the stop may end the sandbox.
        return new LambdaFunctionHost(function, new Dictionary<string, string>(StringComparer.Ordinal) { ["PID_FILE"] = pidFile },
            NullLogger.Instance, Path.Combine(_directory, "sockets"), accountConcurrency: 10, initTimeout: TimeSpan.FromMinutes(5));
    }

    private static async Task<int> PidAsync(string pidFile)
    {
        for (var waited = 0; waited < 200; waited++)
        {
            if (File.Exists(pidFile) && int.TryParse((await File.ReadAllTextAsync(pidFile, TestContext.Current.CancellationToken)).Trim(),
                System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var pid))
            {
                return pid;
            }
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
        throw new TimeoutException("The sandbox's program never started.");
    }

    /// <summary>Whether the process is gone (or a zombie) within a few seconds.</summary>
    private static async Task<bool> EndedAsync(int pid)
    {
        for (var waited = 0; waited < 50; waited++)
        {
            var stat = $"/proc/{pid}/stat";
            if (!File.Exists(stat) || File.ReadAllText(stat).Split(") ")[^1].StartsWith('Z'))
            {
                return true;
            }
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
        return false;
    }
}
