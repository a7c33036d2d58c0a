namespace OrderPipeline.Messaging.Publishing;

/// <summary>A serialized event on its way to a queue, with the trace context it belongs to.</summary>
/// <param name="Queue">Queue name or URL.</param>
/// <param name="TraceParent">W3C traceparent of the work that produced the event; the publish span becomes its child.</param>
public sealed record OutgoingMessage(string Queue, string EventType, string Body, string? TraceParent = null, string? TraceState = null);
