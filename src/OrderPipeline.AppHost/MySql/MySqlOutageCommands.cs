using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace OrderPipeline.AppHost.MySql;

/// <summary>
/// Dashboard commands that put the server into the states a production database goes through (a failover that leaves
/// it refusing writes, a host that stops answering), so that anyone can watch the pipeline ride them out; the fault
/// run and the tests use the same commands.
/// </summary>
public static class MySqlOutageCommands
{
    public const string RefuseWrites = "refuse-writes";
    public const string AcceptWrites = "accept-writes";
    public const string Freeze = "freeze";
    public const string Thaw = "thaw";

    public static IResourceBuilder<MySqlServerResource> WithOutageCommands(this IResourceBuilder<MySqlServerResource> builder)
    {
        var server = builder.Resource;
        return builder
            .WithCommand(RefuseWrites, "Refuse writes (as after a failover)",
                context => RunAdminSqlAsync(server, "SET GLOBAL read_only = ON", "The server refuses writes (read_only = ON)", context),
                Options("The server goes read-only, as a new primary does during a failover: writes fail with error 1290, reads work.", "LockClosed", running: true))
            .WithCommand(AcceptWrites, "Accept writes again",
                context => RunAdminSqlAsync(server, "SET GLOBAL read_only = OFF", "The server accepts writes again", context),
                Options("Ends a read-only period.", "LockOpen", running: true))
            .WithCommand(Freeze, "Freeze (SIGSTOP)",
                context => SignalAsync(server, "STOP", "The server is frozen: connections hang until it is thawed", context),
                Options("Stops the server's process without ending it, like a hung host: connections are accepted by the kernel and never answered.", "Pause", running: true))
            .WithCommand(Thaw, "Thaw (SIGCONT)",
                context => SignalAsync(server, "CONT", "The server runs again", context),
                Options("Resumes a frozen server.", "Play", running: false));
    }

    private static CommandOptions Options(string description, string icon, bool running) => new()
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
    private static async Task<ExecuteCommandResult> RunAdminSqlAsync(MySqlServerResource server, string sql, string done, ExecuteCommandContext context)
    {
        var client = MariaDb.Find("mariadb") ?? MariaDb.Find("mysql");
        if (client is null)
        {
            return CommandResults.Failure("The mariadb client is not installed: run 'bash eng/setup.sh'.");
        }
        var result = await RunAsync(client, ["--no-defaults", $"--socket={server.SocketPath}", $"--user={Environment.UserName}", "--batch", "-e", sql], context.CancellationToken).ConfigureAwait(false);
        return Report(server, result, done, context);
    }

    private static async Task<ExecuteCommandResult> SignalAsync(MySqlServerResource server, string signal, string done, ExecuteCommandContext context)
    {
        if (!File.Exists(server.PidFilePath) || !int.TryParse((await File.ReadAllTextAsync(server.PidFilePath, context.CancellationToken).ConfigureAwait(false)).Trim(), out var pid))
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
