using OrderPipeline.Messaging.Publishing;

namespace OrderPipeline.Processor.Outbox;

/// <summary>A row of the outbox table: an event committed with the state change it announces.</summary>
/// <param name="Attempts">Sends tried so far (the backoff after a failure grows with it).</param>
public sealed record OutboxMessage(long Id, string Destination, string EventType, string Payload, string? TraceParent, string? TraceState, int Attempts = 0)
{
    public OutgoingMessage ToOutgoing() => new(Destination, EventType, Payload, TraceParent, TraceState);
}
