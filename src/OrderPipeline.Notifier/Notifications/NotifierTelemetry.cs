using System.Diagnostics.Metrics;
using OrderPipeline.Messaging.Events;
using OrderPipeline.Messaging.Telemetry;

namespace OrderPipeline.Notifier.Notifications;

public sealed class NotifierTelemetry : IDisposable
{
    public const string Name = "OrderPipeline.Notifier";

    private readonly Meter _meter;
    private readonly Histogram<double> _timeToNotified;

    public NotifierTelemetry(IMeterFactory meterFactory)
    {
        _meter = meterFactory.Create(Name);
        _timeToNotified = _meter.CreateHistogram(
            "orderpipeline.order.time_to_notified", "s", "From the order's acceptance by the Api to the customer's notification.",
            tags: null, MessagingTelemetry.SecondsHistogram);
    }

    public void RecordNotified(OrderProcessed order, DateTime notifiedAt) =>
        _timeToNotified.Record(
            Math.Max(0, (notifiedAt - order.OrderTimestamp).TotalSeconds),
            new KeyValuePair<string, object?>("order.status", order.Status == OrderStatus.Processed ? "PROCESSED" : "FAILED"));

    public void Dispose() => _meter.Dispose();
}
