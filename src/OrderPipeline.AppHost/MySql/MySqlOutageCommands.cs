namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// The names of the outage commands that <see cref="MySqlBuilderExtensions.WithOutageCommands"/> adds to a
/// <see cref="MySqlServerResource"/>, for <see cref="ResourceCommandService.ExecuteCommandAsync(IResource, string, CancellationToken)"/>
/// and <c>aspire resource NAME COMMAND</c>.
/// </summary>
public static class MySqlOutageCommands
{
    /// <summary>
    /// Makes the server read-only (<c>read_only = ON</c>), as a new primary is during a failover: writes fail, reads work.
    /// </summary>
    public const string RefuseWrites = "refuse-writes";

    /// <summary>
    /// Ends a read-only period (<c>read_only = OFF</c>).
    /// </summary>
    public const string AcceptWrites = "accept-writes";

    /// <summary>
    /// Stops the server's process without ending it (SIGSTOP), like a hung host: connections are accepted and never answered.
    /// </summary>
    public const string Freeze = "freeze";

    /// <summary>
    /// Resumes a frozen server (SIGCONT).
    /// </summary>
    public const string Thaw = "thaw";
}
