namespace OrderPipeline.Messaging.Consuming;

/// <summary>
/// Work a schedule invokes on a function that has no process of its own between invocations: in AWS Lambda nothing
/// runs unless invoked, so a background loop (the outbox relay) only runs while an SQS batch happens to thaw the
/// function. A schedule posts <c>{"orderpipeline":"NAME"}</c> to POST /events, and the task of that name runs once.
/// </summary>
public interface IScheduledTask
{
    /// <summary>The name a schedule's payload gives, e.g. <c>relay-outbox</c>.</summary>
    string Name { get; }

    /// <returns>A short summary of what the run did, for the invocation's answer and log.</returns>
    Task<string> RunAsync(CancellationToken cancellationToken);
}
