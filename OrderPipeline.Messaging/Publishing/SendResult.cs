namespace OrderPipeline.Messaging.Publishing;

/// <summary>What became of one message of a batch send.</summary>
/// <param name="Error">Why it was not sent (SQS's code and message, or the failed call's exception); null when it was.</param>
public sealed record SendResult(OutgoingMessage Message, string? Error)
{
    public bool Sent => Error is null;
}
