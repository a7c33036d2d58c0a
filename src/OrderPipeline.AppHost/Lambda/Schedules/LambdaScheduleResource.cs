using OrderPipeline.AppHost.Lambda.Schedules;

namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// A schedule that invokes a Lambda function with a fixed input at a fixed rate, as an EventBridge Scheduler schedule
/// (<c>AWS::Scheduler::Schedule</c> with <c>rate(...)</c>) does: the first run one rate after it starts, no retries, and
/// locally never two runs at once (a tick that comes while a run is under way is skipped, and counted). Shown in the
/// dashboard under its function, with the command "Run now".
/// </summary>
/// <param name="name">The name of the resource.</param>
/// <param name="function">The function invoked.</param>
/// <param name="rate">The time between runs.</param>
/// <param name="input">The event each run invokes the function with: JSON, as the schedule target's <c>Input</c>.</param>
public sealed class LambdaScheduleResource(string name, LambdaFunctionResource function, TimeSpan rate, string input)
    : Resource(name), IResourceWithParent<LambdaFunctionResource>, IResourceWithWaitSupport
{
    /// <summary>The resource type shown in the dashboard.</summary>
    public const string ResourceTypeName = "Schedule";

    /// <summary>
    /// The name of the command that invokes the function once now, for
    /// <see cref="ResourceCommandService.ExecuteCommandAsync(IResource, string, CancellationToken)"/> and <c>aspire resource NAME run-now</c>.
    /// </summary>
    public const string RunNowCommandName = "run-now";

    /// <summary>Gets the function invoked.</summary>
    public LambdaFunctionResource Parent { get; } = function ?? throw new ArgumentNullException(nameof(function));

    /// <summary>Gets the time between runs.</summary>
    public TimeSpan Rate { get; } = rate > TimeSpan.Zero ? rate : throw new ArgumentOutOfRangeException(nameof(rate), rate, "A rate is positive.");

    /// <summary>Gets the event each run invokes the function with.</summary>
    public string Input { get; } = input ?? throw new ArgumentNullException(nameof(input));

    /// <summary>The schedule's runner once it has started; what "Run now" runs through.</summary>
    internal LambdaScheduleRunner? Runner { get; set; }
}
