using System.Diagnostics;
using Aspire.Hosting.Pipelines;
using Microsoft.Extensions.Logging;

namespace OrderPipeline.AppHost.Deployment;

/// <summary>
/// Runs one of the deployment scripts for a pipeline step: its output becomes the step's log in the Aspire CLI, and an
/// exit code other than 0 fails the step (and so every step after it).
/// </summary>
internal static class DeploymentScript
{
    /// <summary>Runs <c>bash <paramref name="script"/> <paramref name="arguments"/></c> and returns its output lines.</summary>
    public static async Task<IReadOnlyList<string>> RunAsync(PipelineStepContext context, string script, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo("bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            // A script that asks a question fails instead of waiting: the pipeline asks its questions itself.
            RedirectStandardInput = true,
        };
        start.ArgumentList.Add(script);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start bash {script}.");
        process.StandardInput.Close();
        var lines = new List<string>();
        var errors = new List<string>();
        var output = CopyAsync(process.StandardOutput, LogLevel.Information, lines);
        var error = CopyAsync(process.StandardError, LogLevel.Warning, errors);
        try
        {
            await process.WaitForExitAsync(context.CancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        await Task.WhenAll(output, error).ConfigureAwait(false);

        if (process.ExitCode != 0)
        {
            var reason = errors.LastOrDefault(l => l.Length > 0) ?? $"exit code {process.ExitCode}";
            throw new InvalidOperationException($"{Path.GetFileName(script)} failed: {reason}");
        }
        return lines;

        async Task CopyAsync(StreamReader reader, LogLevel level, List<string> into)
        {
            while (await reader.ReadLineAsync().ConfigureAwait(false) is { } line)
            {
                into.Add(line);
                // Through the step's logger: the Aspire CLI shows it under the step, a run without the CLI on the console.
#pragma warning disable CA1848, CA2254 // one call per line of a script's output; the line is the message
                context.Logger.Log(level, line);
#pragma warning restore CA1848, CA2254
            }
        }
    }
}
