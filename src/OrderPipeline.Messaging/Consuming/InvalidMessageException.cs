namespace OrderPipeline.Messaging.Consuming;

/// <summary>
/// The message can never be handled (not JSON, not a valid event). It is not acknowledged, so SQS
/// moves it to the DLQ after its receives run out, where a person can inspect it.
/// </summary>
public sealed class InvalidMessageException : Exception
{
    public InvalidMessageException() { }
    public InvalidMessageException(string message) : base(message) { }
    public InvalidMessageException(string message, Exception innerException) : base(message, innerException) { }
}
