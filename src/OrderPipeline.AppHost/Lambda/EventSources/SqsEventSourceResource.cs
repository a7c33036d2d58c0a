namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// An SQS queue as a Lambda function's event source (an event source mapping): it polls the queue, invokes the
/// function with batches of messages as Lambda does, and deletes the messages the invocation handled. Shown in the
/// dashboard under its function, with its counts.
/// </summary>
/// <param name="name">The name of the resource.</param>
/// <param name="function">The function the batches are sent to.</param>
/// <param name="queue">The queue polled.</param>
/// <param name="options">The event source's configuration.</param>
public sealed class SqsEventSourceResource(string name, LambdaFunctionResource function, SqsQueueResource queue, SqsEventSourceOptions options)
    : Resource(name), IResourceWithParent<LambdaFunctionResource>, IResourceWithWaitSupport
{
    /// <summary>The resource type shown in the dashboard.</summary>
    public const string ResourceTypeName = "SQS event source";

    /// <summary>Gets the function the batches are sent to.</summary>
    public LambdaFunctionResource Parent { get; } = function ?? throw new ArgumentNullException(nameof(function));

    /// <summary>Gets the queue polled.</summary>
    public SqsQueueResource Queue { get; } = queue ?? throw new ArgumentNullException(nameof(queue));

    /// <summary>Gets the event source's configuration.</summary>
    public SqsEventSourceOptions Options { get; } = options ?? throw new ArgumentNullException(nameof(options));
}
