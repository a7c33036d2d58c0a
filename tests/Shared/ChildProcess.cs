using System.Diagnostics;

namespace OrderPipeline.Tests.Shared;

/// <summary>Runs a program a test needs (node, bash, dotnet) to its end, within a time limit, and returns what it printed.</summary>
public static class ChildProcess
{
    /// <summary>
    /// Starts <paramref name="startInfo"/> with its output redirected (and its input closed, when redirected), waits for it
    /// to exit, and returns its exit code with stdout and stderr. Past <paramref name="limit"/> the process tree is killed
    /// and a <see cref="TimeoutException"/> carries what it had printed.
    /// </summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(ProcessStartInfo startInfo, TimeSpan limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(startInfo);
        startInfo.RedirectStandardOutput = true;
        startInfo.RedirectStandardError = true;
        startInfo.UseShellExecute = false;

        using var process = Process.Start(startInfo) ?? throw new InvalidOperationException($"{startInfo.FileName} did not start");
        if (startInfo.RedirectStandardInput)
        {
            process.StandardInput.Close();
        }
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(limit);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            if (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            throw new TimeoutException(
                $"{startInfo.FileName} {string.Join(' ', startInfo.ArgumentList)} ran over {limit}: {await stdout}{await stderr}");
        }
        return (process.ExitCode, $"{await stdout}{await stderr}");
    }
}
