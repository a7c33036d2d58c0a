using System.Diagnostics.Metrics;

namespace OrderPipeline.Api.Orders;

public sealed class ApiTelemetry : IDisposable
{
    public const string Name = "OrderPipeline.Api";

    private readonly Meter _meter;
    private readonly Counter<long> _accepted;
    private readonly Counter<long> _rejected;

    public ApiTelemetry(IMeterFactory meterFactory)
    {
        _meter = meterFactory.Create(Name);
        _accepted = _meter.CreateCounter<long>("orderpipeline.orders.accepted", "{order}", "Orders accepted and published to order-created.");
        _rejected = _meter.CreateCounter<long>("orderpipeline.orders.rejected", "{order}", "Orders refused, by HTTP status.");
    }

    public void RecordAccepted() => _accepted.Add(1);

    public void RecordRejected(int statusCode) => _rejected.Add(1, new KeyValuePair<string, object?>("http.response.status_code", statusCode));

    public void Dispose() => _meter.Dispose();
}
