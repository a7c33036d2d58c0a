using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using MySqlConnector;
using OrderPipeline.Messaging.Sqs;
using OrderPipeline.Processor.Orders;

namespace OrderPipeline.FunctionalTests.Support;

/// <summary>The Processor's classes wired by hand against the real database, for tests of the transaction itself.</summary>
public sealed class ProcessorParts : IAsyncDisposable
{
    private readonly ServiceProvider _metrics = new ServiceCollection().AddMetrics().BuildServiceProvider();

    public ProcessorParts(string connectionString, string orderProcessedQueue)
    {
        DataSource = new MySqlDataSource(connectionString);
        Telemetry = new ProcessorTelemetry(_metrics.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>());
        Transaction = new OrderTransaction(DataSource, Options.Create(new QueueOptions { OrderProcessed = orderProcessedQueue }),
            Telemetry, TimeProvider.System, NullLogger<OrderTransaction>.Instance);
    }

    public MySqlDataSource DataSource { get; }

    public ProcessorTelemetry Telemetry { get; }

    public OrderTransaction Transaction { get; }

    public IServiceProvider Metrics => _metrics;

    public async ValueTask DisposeAsync()
    {
        Telemetry.Dispose();
        await DataSource.DisposeAsync();
        await _metrics.DisposeAsync();
    }
}
