using System.Diagnostics;

namespace OrderPipeline.FunctionalTests.Support;

/// <summary>
/// What an operator (or a failover) does to the test's MariaDB server: SQL as root over the server's socket (root signs in
/// only there, by socket authentication), and pausing the process outright (SIGSTOP/SIGCONT) as a hung server.
/// </summary>
/// <param name="home">The server's home: its socket and pid file (see OrderPipeline.AppHost/MySql/MySqlServerResource.cs).</param>
public sealed class DatabaseServerControl(string home)
{
    private string SocketPath => Path.Combine(home, "mysqld.sock");

    private int Pid => int.Parse(File.ReadAllText(Path.Combine(home, "mysqld.pid")).Trim(), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Runs <paramref name="sql"/> as root (test-controlled text only, never input).</summary>
    /// <remarks>
    /// With every connection slot taken, root still gets the one slot the server keeps for it, but only once root's
    /// previous session has ended on the server, which can lag the client's exit: 1040 is then tried again.
    /// </remarks>
    public async Task<string> RootAsync(string sql)
    {
        for (var attempt = 1; ; attempt++)
        {
            var (exitCode, output, errors) = await RunClientAsync(sql);
            if (exitCode == 0)
            {
                return output.Trim();
            }
            if (attempt == 20 || !errors.Contains("Too many connections", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"mariadb -e '{sql}' failed: {errors}");
            }
            await Task.Delay(TimeSpan.FromMilliseconds(100));
        }
    }

    private async Task<(int ExitCode, string Output, string Errors)> RunClientAsync(string sql)
    {
        var start = new ProcessStartInfo("mariadb") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in (string[])[$"--socket={SocketPath}", "--user=root", "--batch", "--skip-column-names", "-e", sql])
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the mariadb client.");
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output, errors);
    }

    public void Pause() => Signal("STOP");

    public void Resume() => Signal("CONT");

    private void Signal(string signal)
    {
        using var kill = Process.Start("kill", ["-" + signal, Pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
        if (kill.ExitCode != 0)
        {
            throw new InvalidOperationException($"kill -{signal} {Pid} failed.");
        }
    }
}
