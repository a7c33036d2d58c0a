using System.Diagnostics.Metrics;

namespace OrderPipeline.Processor.Outbox;

/// <summary>The relay's metrics: what each pass did, and how far behind the outbox is.</summary>
public sealed class OutboxTelemetry : IDisposable
{
    public const string Name = "OrderPipeline.Processor.Outbox";

    private readonly Meter _meter;
    private readonly Counter<long> _batches;
    private readonly Counter<long> _messages;
    private double _oldestUnpublishedAgeSeconds;

    public OutboxTelemetry(IMeterFactory meterFactory)
    {
        _meter = meterFactory.Create(Name);
        _batches = _meter.CreateCounter<long>("orderpipeline.outbox.relay.batches", "{batch}", "Batches of outbox rows the relay claimed.");
        _messages = _meter.CreateCounter<long>(
            "orderpipeline.outbox.relay.messages", "{message}", "Outbox rows the relay sent (outcome=published) or failed to send (outcome=failed).");
        // The figure to alarm on: it grows while events wait (a queue outage, a row that cannot be sent) and is 0
        // when everything is published. Measured by each relay pass (a gauge's callback cannot query the database).
        _meter.CreateObservableGauge(
            "orderpipeline.outbox.oldest_unpublished_age", () => Volatile.Read(ref _oldestUnpublishedAgeSeconds), "s",
            "Age of the oldest outbox row not yet published; 0 when there is none.");
    }

    public void RecordPass(int published, int failed)
    {
        _batches.Add(1);
        if (published > 0)
        {
            _messages.Add(published, new KeyValuePair<string, object?>("outcome", "published"));
        }
        if (failed > 0)
        {
            _messages.Add(failed, new KeyValuePair<string, object?>("outcome", "failed"));
        }
    }

    public void RecordOldestUnpublished(DateTime? createdAt, DateTime now) =>
        Volatile.Write(ref _oldestUnpublishedAgeSeconds, createdAt is { } oldest ? Math.Max(0, (now - oldest).TotalSeconds) : 0);

    public void Dispose() => _meter.Dispose();
}
