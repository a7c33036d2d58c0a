using System.Diagnostics;
using System.Globalization;
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
