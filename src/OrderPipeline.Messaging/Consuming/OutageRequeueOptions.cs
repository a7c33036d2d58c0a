namespace OrderPipeline.Messaging.Consuming;

/// <summary>
/// What POST /events (AWS Lambda) does with a message that failed because of an outage, bound to
/// <c>Messaging:OutageRequeue</c>. See <see cref="OutageRequeue"/>.
/// </summary>
public sealed record OutageRequeueOptions
{
    public const string SectionName = "Messaging:OutageRequeue";

    /// <summary>Off: an outage's messages are reported failed like any other (each failure costs a receive).</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>How long the copy stays invisible (SQS allows at most 900 s).</summary>
    public int DelaySeconds { get; init; } = 60;

    /// <summary>After this many requeues a message is failed normally, so nothing circulates for the queue's whole retention.</summary>
    public int MaxRequeues { get; init; } = 240;
}
