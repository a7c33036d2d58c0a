using System.Diagnostics;
using System.Diagnostics.Metrics;
using OrderPipeline.Messaging.Events;
using OrderPipeline.Messaging.Telemetry;

namespace OrderPipeline.Processor.Orders;

/// <summary>The Processor's own spans and metrics: the order transaction and how long orders take to settle.</summary>
public sealed class ProcessorTelemetry : IDisposable
{
    public const string Name = "OrderPipeline.Processor";

    private readonly Meter _meter;
    private readonly Counter<long> _orders;
    private readonly Histogram<double> _timeToProcessed;
    private readonly Counter<long> _transientRetries;

    public ProcessorTelemetry(IMeterFactory meterFactory)
    {
        _meter = meterFactory.Create(Name);
        _orders = _meter.CreateCounter<long>("orderpipeline.orders.settled", "{order}", "Orders that reached PROCESSED or FAILED.");
        _timeToProcessed = _meter.CreateHistogram(
            "orderpipeline.order.time_to_processed", "s", "From the order's acceptance by the Api to its commit as PROCESSED or FAILED.",
            tags: null, MessagingTelemetry.SecondsHistogram);
        _transientRetries = _meter.CreateCounter<long>(
            "orderpipeline.db.transient_retries", "{retry}", "Order transactions retried after a deadlock or lock wait timeout.");
    }

    public ActivitySource ActivitySource { get; } = new(Name);

    public void RecordSettled(OrderProcessed settled)
    {
        var status = new KeyValuePair<string, object?>("order.status", settled.Status == OrderStatus.Processed ? "PROCESSED" : "FAILED");
        _orders.Add(1, status);
        _timeToProcessed.Record(Math.Max(0, (settled.ProcessedAt - settled.OrderTimestamp).TotalSeconds), status);
    }

    public void RecordTransientRetry(int errorCode) =>
        _transientRetries.Add(1, new KeyValuePair<string, object?>("db.response.status_code", errorCode));

    public void Dispose()
    {
        ActivitySource.Dispose();
        _meter.Dispose();
    }
}
