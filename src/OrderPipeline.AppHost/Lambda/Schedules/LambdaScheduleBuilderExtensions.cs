using System.Text.Json;
using Microsoft.Extensions.DependencyInjection.Extensions;
using OrderPipeline.AppHost.Lambda;
using OrderPipeline.AppHost.Lambda.Schedules;

namespace Aspire.Hosting;

/// <summary>
/// Provides extension methods for invoking a Lambda function on a schedule, as an EventBridge Scheduler schedule with a
/// <c>rate(...)</c> expression and the function as its target does.
/// </summary>
public static class LambdaScheduleBuilderExtensions
{
    /// <summary>
    /// Adds a schedule that invokes <paramref name="function"/> with <paramref name="input"/> every <paramref name="rate"/>,
    /// the first time one rate after the function is running, as EventBridge does: no retries, and locally never two runs
    /// at once (a tick while a run is under way is skipped and counted). The schedule is shown in the dashboard under its
    /// function with its runs, failures and last outcome, and has the command "Run now"
    /// (<see cref="LambdaScheduleResource.RunNowCommandName"/>).
    /// </summary>
    /// <param name="builder">The <see cref="IDistributedApplicationBuilder"/>.</param>
    /// <param name="name">The name of the resource.</param>
    /// <param name="function">The function invoked.</param>
    /// <param name="rate">The time between runs; positive. EventBridge's shortest is a minute; locally any is taken.</param>
    /// <param name="input">The event each run invokes the function with: JSON, as the target's <c>Input</c>.</param>
    /// <returns>A reference to the <see cref="IResourceBuilder{T}"/>.</returns>
    /// <exception cref="ArgumentException"><paramref name="input"/> is not JSON.</exception>
    public static IResourceBuilder<LambdaScheduleResource> AddLambdaSchedule(this IDistributedApplicationBuilder builder, [ResourceName] string name,
        IResourceBuilder<LambdaFunctionResource> function, TimeSpan rate, string input)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(function);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(rate, TimeSpan.Zero);
        ArgumentNullException.ThrowIfNull(input);
        try
        {
            using var parsed = JsonDocument.Parse(input);
        }
        catch (JsonException ex)
        {
            throw new ArgumentException($"A schedule's input is JSON: {ex.Message}", nameof(input), ex);
        }

        builder.Services.TryAddSingleton<LambdaFunctions>();
        var schedule = new LambdaScheduleResource(name, function.Resource, rate, input);
        return builder.AddResource(schedule)
            .WithParentRelationship(function)
            // WaitFor refuses a resource's own parent (its children usually follow its state); this child runs on its own.
            .WithAnnotation(new WaitAnnotation(function.Resource, WaitType.WaitUntilHealthy))
            .ExcludeFromManifest()
            .WithIconName("Clock")
            .WithInitialState(new CustomResourceSnapshot
            {
                ResourceType = LambdaScheduleResource.ResourceTypeName,
                State = KnownResourceStates.NotStarted,
                Properties = LambdaScheduleHost.InitialProperties(schedule),
            })
            .OnInitializeResource(LambdaScheduleHost.StartAsync)
            .WithCommand(LambdaScheduleResource.RunNowCommandName, "Run now", context => LambdaScheduleHost.RunNowAsync(schedule, context),
                new CommandOptions
                {
                    Description = $"Invokes {function.Resource.Name} once now with the schedule's input, outside the schedule.",
                    IconName = "Play",
                    IsHighlighted = true,
                    UpdateState = context => context.ResourceSnapshot.State?.Text == KnownResourceStates.Running
                        ? ResourceCommandState.Enabled
                        : ResourceCommandState.Disabled,
                });
    }
}
