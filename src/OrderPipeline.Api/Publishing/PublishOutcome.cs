namespace OrderPipeline.Api.Publishing;

/// <summary>What became of OrderCreated after every attempt the budget allowed.</summary>
public enum PublishOutcome
{
    /// <summary>SQS stored it.</summary>
    Published,

    /// <summary>Every attempt was refused before SQS could store it: nothing was accepted.</summary>
    NotStored,

    /// <summary>At least one attempt may have stored it (a timeout, a reset after sending, a 5xx): it may have been accepted.</summary>
    Unknown,
}
