namespace OrderPipeline.Messaging.Sqs;

/// <summary>
/// The pipeline's queues, each given as a queue name (resolved with GetQueueUrl) or a full queue URL.
/// Bound to the <c>Queues</c> configuration section, e.g. <c>Queues__OrderCreated</c>.
/// </summary>
public sealed record QueueOptions
{
    public const string SectionName = "Queues";

    public string OrderCreated { get; init; } = "order-created";
    public string OrderProcessed { get; init; } = "order-processed";
}
