using System.Globalization;
using System.Text.RegularExpressions;
using Aspire.Hosting.ApplicationModel;

namespace OrderPipeline.Testing;

/// <summary>A Lambda function's counts and times, as its dashboard entry shows them (<c>lambda.invocations</c>, ...).</summary>
/// <param name="Invocations">Every invocation, throttled ones included.</param>
/// <param name="Errors">Invocations that failed: a function error, a timeout or a crash.</param>
/// <param name="Timeouts">Invocations that passed the function's timeout (their sandbox was killed).</param>
/// <param name="Throttles">Invocations refused at the concurrency cap.</param>
/// <param name="ColdStarts">Sandboxes started (each an init).</param>
/// <param name="MeanInitMs">The mean init over <paramref name="ColdStarts"/>, in whole milliseconds as the dashboard shows it.</param>
/// <param name="LastDurationMs">The last invocation's duration, in whole milliseconds.</param>
/// <param name="MeanDurationMs">The mean duration of the invocations that ran (not the throttled ones), in whole milliseconds.</param>
/// <param name="LastExtensionsMs">How long the last answer's extensions worked after it (<c>lambda.extensions</c>), in whole milliseconds.</param>
/// <param name="MeanExtensionsMs">The same, the mean over the answers the extensions finished after.</param>
public sealed record LambdaCounters(
    long Invocations, long Errors, long Timeouts, long Throttles, long ColdStarts, double MeanInitMs, double LastDurationMs, double MeanDurationMs,
    double LastExtensionsMs, double MeanExtensionsMs)
{
    /// <summary>The invocations that ran in a sandbox: the ones Lambda bills, and the ones <see cref="MeanDurationMs"/> is over.</summary>
    public long Ran => Invocations - Throttles;

    /// <summary>
    /// The answers <see cref="MeanExtensionsMs"/> is over, as near as the counts tell: every invocation that ran but
    /// timed out (the dashboard does not count the crashes apart, which have no extension phase either).
    /// </summary>
    public long Answered => Ran - Timeouts;

    /// <summary>As the fault run's figures give them.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Invocations} invocations, {Errors} errors ({Timeouts} timeouts), {Throttles} throttles, {ColdStarts} cold starts");
}

/// <summary>Reads what the Lambda shape's resources show in the dashboard: a function's counts and times, a schedule's runs.</summary>
public static partial class LambdaReadings
{
    /// <summary>The function's counts and times from its dashboard properties (refreshed at most once a second).</summary>
    public static async Task<LambdaCounters> CountersOfAsync(this PipelineSystem system, string function, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(system);
        var state = await system.App.ResourceNotifications.WaitForResourceAsync(function, _ => true, cancellationToken);
        long Count(string name) => Property(state, name) is { } value ? Convert.ToInt64(value, CultureInfo.InvariantCulture) : 0;
        // "last / mean ms ...": the runner's own wording (LambdaFunctionRunner.Describe).
        (double Last, double Mean) Times(string name) =>
            Convert.ToString(Property(state, name), CultureInfo.InvariantCulture) is { } text && LastAndMean().Match(text) is { Success: true } match
                ? (double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture), double.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture))
                : (0, 0);
        return new LambdaCounters(Count("lambda.invocations"), Count("lambda.errors"), Count("lambda.timeouts"), Count("lambda.throttles"),
            Count("lambda.coldstarts"), Times("lambda.init").Mean, Times("lambda.duration").Last, Times("lambda.duration").Mean,
            Times("lambda.extensions").Last, Times("lambda.extensions").Mean);
    }

    /// <summary>The invocations a schedule has made (its runs, by the rate and by "Run now"), from its dashboard property.</summary>
    public static async Task<long> RunsOfAsync(this PipelineSystem system, string schedule, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(system);
        var state = await system.App.ResourceNotifications.WaitForResourceAsync(schedule, _ => true, cancellationToken);
        return Property(state, "schedule.runs") is { } value ? Convert.ToInt64(value, CultureInfo.InvariantCulture) : 0;
    }

    private static object? Property(ResourceEvent state, string name) =>
        state.Snapshot.Properties.FirstOrDefault(p => p.Name == name)?.Value;

    [GeneratedRegex(@"^\s*(\d+(?:\.\d+)?)\s*/\s*(\d+(?:\.\d+)?)\s*ms", RegexOptions.CultureInvariant)]
    private static partial Regex LastAndMean();
}
