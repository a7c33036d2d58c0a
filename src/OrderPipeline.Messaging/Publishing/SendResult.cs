namespace OrderPipeline.Messaging.Publishing;

/// <summary>What became of one message of a batch send.</summary>
/// <param name="Error">Why it was not sent (SQS's code and message, or the failed call's exception); null when it was.</param>
/// <param name="MayHaveBeenStored">
/// For an unsent message: whether SQS may have stored it all the same (see <see cref="SendFailure"/>). False when SQS
/// refused this entry, or the call was refused before anything was stored; true when the call's answer was lost.
/// </param>
public sealed record SendResult(OutgoingMessage Message, string? Error, bool MayHaveBeenStored = false)
{
    public bool Sent => Error is null;
}
