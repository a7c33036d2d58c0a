using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace OrderPipeline.AppHost.Lambda;

/// <summary>
/// A function resource's life: waits for what it depends on, starts its host with the resource's environment, warms
/// one sandbox, then shows its sandboxes and invocations in the dashboard until the AppHost stops (or, for a function
/// invoked once on start, ends with that invocation).
/// </summary>
internal sealed partial class LambdaFunctionRunner(LambdaFunctionResource function, InitializeResourceEvent @event, TimeSpan initTimeout)
{
    // The dashboard is told at most this often: under load a function changes on every invocation.
    private static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(1);

    public async Task RunAsync(CancellationToken stopping)
    {
        var notifications = @event.Notifications;
        var socketDirectory = Path.Combine(Path.GetTempPath(), $"op-lambda-{Guid.NewGuid():N}"[..18]);
        try
        {
            await notifications.WaitForDependenciesAsync(function, stopping).ConfigureAwait(false);
            await notifications.PublishUpdateAsync(function, s => s with { State = KnownResourceStates.Starting }).ConfigureAwait(false);
            var configuration = await ExecutionConfigurationBuilder.Create(function).WithEnvironmentVariablesConfig()
                .BuildAsync(@event.Services.GetRequiredService<DistributedApplicationExecutionContext>(), @event.Logger, stopping).ConfigureAwait(false);
            if (configuration.Exception is { } invalid)
            {
                throw new InvalidOperationException("The function's environment could not be resolved.", invalid);
            }
            var environment = configuration.EnvironmentVariables.ToDictionary(v => v.Key, v => v.Value, StringComparer.Ordinal);
            using var host = new LambdaFunctionHost(function, environment, @event.Logger, socketDirectory,
                LambdaFunctionBuilderExtensions.LocalAccountConcurrency, initTimeout);
            var changed = 1;
            host.Changed += () => Volatile.Write(ref changed, 1);
            await host.WarmUpAsync(stopping).ConfigureAwait(false);

            if (function.TryGetLastAnnotation<LambdaInvocationOnStartAnnotation>(out var onStart))
            {
                var result = await host.InvokeAsync(LambdaRequest.Event(host.PassThroughPath, onStart.EventJson), stopping).ConfigureAwait(false);
                var succeeded = result.Outcome == LambdaInvocationOutcome.Succeeded;
                LogInvokedOnStart(@event.Logger, result.Outcome, result.StatusCode, result.BodyText);
                await notifications.PublishUpdateAsync(function, s => s with
                {
                    State = succeeded ? KnownResourceStates.Finished : KnownResourceStates.Exited,
                    ExitCode = succeeded ? 0 : 1,
                    StopTimeStamp = DateTime.UtcNow,
                    Properties = Describe(s.Properties, host),
                }).ConfigureAwait(false);
                return;
            }

            @event.Services.GetRequiredService<LambdaFunctions>().Add(host);
            await notifications.PublishUpdateAsync(function, s => s with
            {
                State = KnownResourceStates.Running,
                StartTimeStamp = DateTime.UtcNow,
                Properties = Describe(s.Properties, host),
            }).ConfigureAwait(false);
            using var refresh = new PeriodicTimer(RefreshInterval);
            while (await refresh.WaitForNextTickAsync(stopping).ConfigureAwait(false))
            {
                if (Interlocked.Exchange(ref changed, 0) == 1)
                {
                    await notifications.PublishUpdateAsync(function, s => s with { Properties = Describe(s.Properties, host) }).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // The AppHost is stopping: disposing the host ended the sandboxes.
        }
        catch (Exception exception)
        {
            LogFailed(@event.Logger, exception);
            await notifications.PublishUpdateAsync(function, s => s with { State = KnownResourceStates.FailedToStart }).ConfigureAwait(false);
        }
        finally
        {
            try
            {
                Directory.Delete(socketDirectory, recursive: true);
            }
            catch (IOException)
            {
                // Nothing to remove.
            }
        }
    }

    private static System.Collections.Immutable.ImmutableArray<ResourcePropertySnapshot> Describe(
        System.Collections.Immutable.ImmutableArray<ResourcePropertySnapshot> properties, LambdaFunctionHost host)
    {
        var sandboxes = host.Sandboxes();
        var frozen = sandboxes.Count(s => s.Frozen);
        var busy = host.BusySandboxes();
        var statistics = host.Statistics;
        var options = host.Function.Options;
        return properties
            .With("lambda.sandboxes", "Sandboxes", $"{sandboxes.Count} ({busy.Count} busy, {sandboxes.Count - busy.Count - frozen} idle, {frozen} frozen)",
                highlighted: true)
            .With("lambda.sandbox.pids", "Sandbox processes", string.Join(' ', sandboxes.Select(s => s.ProcessId.ToString(CultureInfo.InvariantCulture))))
            .With("lambda.sandbox.busy", "Sandboxes in an invocation", string.Join(' ', busy.Select(p => p.ToString(CultureInfo.InvariantCulture))))
            .With("lambda.invocations", "Invocations", statistics.Invocations, highlighted: true)
            .With("lambda.errors", "Errors", statistics.Errors, highlighted: true)
            .With("lambda.throttles", "Throttles", statistics.Throttles, highlighted: true)
            .With("lambda.timeouts", "Timeouts", statistics.Timeouts)
            .With("lambda.coldstarts", "Cold starts", statistics.ColdStarts)
            .With("lambda.init", "Init (last / mean)", $"{statistics.LastInit.TotalMilliseconds:F0} / {statistics.AverageInit.TotalMilliseconds:F0} ms "
                + $"over {statistics.ColdStarts} cold starts")
            .With("lambda.duration", "Duration (last / mean)",
                $"{statistics.LastDuration.TotalMilliseconds:F0} / {statistics.AverageDuration.TotalMilliseconds:F0} ms")
            .With("lambda.extensions", "Extensions after the answer (last / mean)",
                $"{statistics.LastExtensions.TotalMilliseconds:F0} / {statistics.AverageExtensions.TotalMilliseconds:F0} ms")
            .With("lambda.timeout", "Timeout", $"{options.Timeout.TotalSeconds:F0} s")
            .With("lambda.memory", "Memory size", $"{options.MemorySizeMb} MB")
            .With("lambda.concurrency", "Concurrency cap", host.Concurrency);
    }

    [LoggerMessage(LogLevel.Information, "Invoked once on start: {Outcome}, status {Status}: {Body}")]
    private static partial void LogInvokedOnStart(ILogger logger, LambdaInvocationOutcome outcome, int status, string body);

    [LoggerMessage(LogLevel.Error, "The function could not start")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
