namespace OrderPipeline.AppHost.Sqs;

/// <summary>
/// A queue on an <see cref="SqsEmulatorResource"/>, shown in the dashboard with live counts. A queue with a
/// <see cref="DeadLetterQueue"/> hands it the messages received <see cref="MaxReceiveCount"/> times.
/// </summary>
public sealed class SqsQueueResource(string name, string queueName, SqsEmulatorResource parent)
    : Resource(name), IResourceWithParent<SqsEmulatorResource>, IResourceWithWaitSupport
{
    public SqsEmulatorResource Parent { get; } = parent;

    public string QueueName { get; } = queueName;

    /// <summary>How long a received message stays hidden before it is delivered again.</summary>
    public int VisibilityTimeoutSeconds { get; } = 30;

    public SqsQueueResource? DeadLetterQueue { get; internal set; }

    public int MaxReceiveCount { get; internal set; }

    /// <summary>For a dead-letter queue: the queue whose messages it takes, where a redrive sends them back.</summary>
    public SqsQueueResource? SourceQueue { get; internal set; }

    /// <summary>The setting the services read the queue from: <c>Queues__OrderCreated</c> for <c>order-created</c>.</summary>
    public string ConfigurationKey => "Queues__" + string.Concat(QueueName.Split('-', '_', '.').Where(p => p.Length > 0)
        .Select(part => char.ToUpperInvariant(part[0]) + part[1..]));
}
