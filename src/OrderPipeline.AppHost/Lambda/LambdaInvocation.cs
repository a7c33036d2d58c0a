namespace OrderPipeline.AppHost.Lambda;

/// <summary>How an invocation ended, as Lambda reports it to whatever invoked the function.</summary>
internal enum LambdaInvocationOutcome
{
    /// <summary>The function answered with a status its adapter does not count as an error.</summary>
    Succeeded,

    /// <summary>The function answered with a status in <c>AWS_LWA_ERROR_STATUS_CODES</c>: an invocation error.</summary>
    FunctionError,

    /// <summary>Every sandbox the concurrency cap allows was busy: the invocation never ran.</summary>
    Throttled,

    /// <summary>The invocation passed the function's timeout: its sandbox was killed and replaced.</summary>
    TimedOut,

    /// <summary>The sandbox died, or never became ready, during the invocation.</summary>
    Crashed,
}

/// <summary>What invoked a function, as OpenTelemetry's <c>faas.trigger</c> names it.</summary>
internal static class LambdaTrigger
{
    public const string Http = "http";
    public const string PubSub = "pubsub";
    public const string Timer = "timer";
    public const string Other = "other";
}

/// <summary>An HTTP request as the Web Adapter hands it to the program in a sandbox (path and query relative to it).</summary>
internal sealed record LambdaRequest(HttpMethod Method, string PathAndQuery, IReadOnlyList<KeyValuePair<string, string>> Headers, byte[] Body)
{
    /// <summary>What invoked the function (<see cref="LambdaTrigger"/>).</summary>
    public string Trigger { get; init; } = LambdaTrigger.Http;

    /// <summary>The W3C trace contexts of the messages in an event, whose traces the invocation belongs to.</summary>
    public IReadOnlyList<string> TraceParents { get; init; } = [];

    /// <summary>An event (SQS batch, schedule, direct invoke): its JSON, POSTed as the adapter does to the pass-through path.</summary>
    public static LambdaRequest Event(string passThroughPath, string json, string trigger = LambdaTrigger.Other) =>
        new(HttpMethod.Post, passThroughPath, [new("Content-Type", "application/json")], System.Text.Encoding.UTF8.GetBytes(json)) { Trigger = trigger };
}

/// <summary>The answer of one invocation: the program's response when it gave one.</summary>
internal sealed record LambdaInvocationResult(
    LambdaInvocationOutcome Outcome, int StatusCode, IReadOnlyList<KeyValuePair<string, string>> Headers, byte[] Body)
{
    public static LambdaInvocationResult Failed(LambdaInvocationOutcome outcome) => new(outcome, 0, [], []);

    public string BodyText => System.Text.Encoding.UTF8.GetString(Body);
}

/// <summary>Invokes one function, as the Lambda service does: a sandbox of its own per concurrent invocation.</summary>
internal interface ILambdaInvoker
{
    /// <summary>The function's resource name.</summary>
    string FunctionName { get; }

    /// <summary>The path the adapter POSTs events to (<c>AWS_LWA_PASS_THROUGH_PATH</c>, "/events" by default).</summary>
    string PassThroughPath { get; }

    /// <summary>
    /// Runs one invocation in a free sandbox (thawing a frozen one, or starting one below the concurrency cap), within
    /// the function's timeout. Never throws for the function's own failures: they are the result's outcome.
    /// </summary>
    Task<LambdaInvocationResult> InvokeAsync(LambdaRequest request, CancellationToken cancellationToken);
}
