namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// A resource that represents a queue on an <see cref="SqsEmulatorResource"/>, shown in the dashboard with live
/// counts. A queue with a <see cref="DeadLetterQueue"/> hands it the messages received <see cref="MaxReceiveCount"/> times.
/// </summary>
/// <param name="name">The name of the resource.</param>
/// <param name="queueName">The name of the queue in SQS.</param>
/// <param name="parent">The emulator the queue is on.</param>
public sealed class SqsQueueResource(string name, string queueName, SqsEmulatorResource parent)
    : Resource(name), IResourceWithParent<SqsEmulatorResource>, IResourceWithWaitSupport
{
    /// <summary>
    /// Gets the emulator the queue is on.
    /// </summary>
    public SqsEmulatorResource Parent { get; } = parent ?? throw new ArgumentNullException(nameof(parent));

    /// <summary>
    /// Gets the name of the queue in SQS.
    /// </summary>
    public string QueueName { get; } = !string.IsNullOrEmpty(queueName)
        ? queueName
        : throw new ArgumentException("The queue name is null or empty.", nameof(queueName));

    /// <summary>
    /// Gets how long, in seconds, a received message stays hidden before it is delivered again.
    /// </summary>
    public int VisibilityTimeoutSeconds { get; internal set; } = 30;

    /// <summary>
    /// Gets the queue that takes the messages received <see cref="MaxReceiveCount"/> times, or <see langword="null"/>.
    /// </summary>
    public SqsQueueResource? DeadLetterQueue { get; internal set; }

    /// <summary>
    /// Gets how many times a message is received before it moves to the <see cref="DeadLetterQueue"/>.
    /// </summary>
    public int MaxReceiveCount { get; internal set; }

    /// <summary>
    /// Gets, for a dead-letter queue, the queue whose messages it takes, where a redrive sends them back; otherwise <see langword="null"/>.
    /// </summary>
    public SqsQueueResource? SourceQueue { get; internal set; }

    /// <summary>
    /// Gets the queue's URL, as the emulator gives it (<c>GetQueueUrl</c>) and as CloudFormation's <c>!Ref</c> of a queue
    /// gives it in AWS: <c>http://sqs.{region}.localhost:{port}/{account}/{name}</c>.
    /// </summary>
    public ReferenceExpression QueueUrl => ReferenceExpression.Create(
        $"http://sqs.{SqsEmulatorResource.Region}.localhost:{Parent.PrimaryEndpoint.Property(EndpointProperty.Port)}/000000000000/{QueueName}");

    /// <summary>
    /// Gets the setting the services read the queue's name from: <c>Queues__OrderCreated</c> for <c>order-created</c>.
    /// </summary>
    public string ConfigurationKey => "Queues__" + string.Concat(QueueName.Split('-', '_', '.').Where(p => p.Length > 0)
        .Select(part => char.ToUpperInvariant(part[0]) + part[1..]));
}
