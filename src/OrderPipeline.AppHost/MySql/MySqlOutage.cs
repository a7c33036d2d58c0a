using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace OrderPipeline.AppHost.MySql;

/// <summary>
/// What the server's outage commands do (<see cref="MySqlBuilderExtensions.WithOutageCommands"/>): administrator SQL
/// over the server's socket, or a signal to its process.
/// </summary>
internal static class MySqlOutage
{
    public static CommandOptions Options(string description, string icon, bool running) => new()
    {
        Description = description,
        IconName = icon,
        // A frozen server still shows Running (its process exists), so Thaw stays available whatever the state.
        UpdateState = context => !running || context.ResourceSnapshot.State?.Text == KnownResourceStates.Running
            ? ResourceCommandState.Enabled
            : ResourceCommandState.Disabled,
    };

    /// <summary>
    /// Runs SQL over the server's socket as the operating-system user who runs the AppHost: mariadb-install-db gave
    /// that user (and root) socket authentication with every privilege, so no administrator password exists.
    /// </summary>
    public static async Task<ExecuteCommandResult> RunAdminSqlAsync(MySqlServerResource server, string sql, string done, ExecuteCommandContext context)
    {
        var client = MariaDb.Find("mariadb") ?? MariaDb.Find("mysql");
        if (client is null)
        {
            return CommandResults.Failure("The mariadb client is not installed: run 'bash eng/setup.sh'.");
        }
        var result = await RunAsync(client,
            ["--no-defaults", $"--socket={server.SocketPath}", $"--user={Environment.UserName}", "--batch", "-e", sql],
            context.CancellationToken).ConfigureAwait(false);
        return Report(server, result, done, context);
    }

    public static async Task<ExecuteCommandResult> SignalAsync(MySqlServerResource server, string signal, string done, ExecuteCommandContext context)
    {
        if (!File.Exists(server.PidFilePath)
            || !int.TryParse(
                (await File.ReadAllTextAsync(server.PidFilePath, context.CancellationToken).ConfigureAwait(false)).Trim(),
                out var pid))
        {
            return CommandResults.Failure("The server has no pid file: it is not running.");
        }
        var result = await RunAsync("kill", [$"-{signal}", pid.ToString(CultureInfo.InvariantCulture)], context.CancellationToken).ConfigureAwait(false);
        return Report(server, result, done, context);
    }

    private static ExecuteCommandResult Report(MySqlServerResource server, (int ExitCode, string Errors) result, string done, ExecuteCommandContext context)
    {
        var logger = context.Services.GetRequiredService<ResourceLoggerService>().GetLogger(server);
        if (result.ExitCode != 0)
        {
            logger.LogError("Outage command failed ({ExitCode}): {Errors}", result.ExitCode, result.Errors);
            return CommandResults.Failure(result.Errors);
        }
        logger.LogWarning("{What}", done);
        return CommandResults.Success();
    }

    private static async Task<(int ExitCode, string Errors)> RunAsync(string program, string[] arguments, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {program}.");
        var errors = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.StandardOutput.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
        await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        return (process.ExitCode, (await errors.ConfigureAwait(false)).Trim());
    }
}
