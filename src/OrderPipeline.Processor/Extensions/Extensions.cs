using Microsoft.Extensions.Options;
using OrderPipeline.Messaging;
using OrderPipeline.Messaging.Consuming;
using OrderPipeline.Messaging.Sqs;
using OrderPipeline.Processor.Orders;
using OrderPipeline.Processor.Outbox;
using OrderPipeline.Aws;
using OrderPipeline.Data;
using OrderPipeline.Data.Retention;

namespace OrderPipeline.Processor.Extensions;

internal static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddMySqlDataSource("orders");
        // A database outage pauses the consumer instead of spending every order's receives. The probe is a write on
        // a table the order transaction writes, so a read-only server (a failover) counts as down.
        builder.AddMySqlOutageDetection("UPDATE inventory SET quantity_available = quantity_available WHERE FALSE");
        builder.AddSqsMessaging(queues => queues.OrderCreated, queues => queues.OrderProcessed);
        builder.AddSqsConsumer<OrderCreatedHandler>(queues => queues.OrderCreated);
        // Every OrderProcessed is written to the outbox with its destination. One that does not fit the column
        // would fail every order transaction, so refuse to start instead, and say what to do.
        builder.Services.AddOptions<QueueOptions>()
            .Validate(
                queues => queues.OrderProcessed.Length <= OutboxStore.MaxDestinationLength,
                $"Queues:OrderProcessed must be at most {OutboxStore.MaxDestinationLength} characters "
                + "(the outbox's destination column): give the queue's name or URL.")
            .ValidateOnStart();

        // An order whose lock waits outlast the message's visibility would be delivered again while still running.
        builder.Services.AddOptions<OrderTransactionOptions>().BindConfiguration(OrderTransactionOptions.SectionName)
            .Validate<Microsoft.Extensions.Options.IOptions<SqsConsumerOptions>>(
                (transaction, consumer) => transaction.LockWaitTimeoutSeconds >= 1
                    && transaction.WorstCaseLockWaits < TimeSpan.FromSeconds(consumer.Value.VisibilityTimeoutSeconds),
                $"Orders:Transaction:LockWaitTimeoutSeconds must be at least 1, and {OrderTransaction.MaxAttempts} times it "
                + "(the order transaction's attempts) plus their backoff must stay below "
                + "Messaging:Consumer:VisibilityTimeoutSeconds (the queue's visibility timeout).")
            .ValidateOnStart();

        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<ProcessorTelemetry>();
        builder.Services.AddSingleton<OrderTransaction>();
        builder.Services.AddSingleton<OutboxPublisher>();

        // A lease shorter than a batch's sends would hand rows to a second relay while the first still sends them.
        builder.Services.AddOptions<OutboxOptions>().BindConfiguration(OutboxOptions.SectionName)
            .Validate(outbox => outbox.LeaseSeconds >= 5 && outbox.BatchSize >= 1, "Outbox:LeaseSeconds must be at least 5 and Outbox:BatchSize at least 1.")
            .ValidateOnStart();
        builder.Services.AddSingleton<OutboxClaims>();
        builder.Services.AddSingleton<OutboxTelemetry>();
        builder.Services.AddSingleton<OutboxRelay>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<OutboxRelay>());
        builder.Services.AddOptions<OutboxRetentionOptions>().BindConfiguration(OutboxRetentionOptions.SectionName);
        builder.Services.AddExpiredRowsCleanup(sp => sp.GetRequiredService<IOptions<OutboxRetentionOptions>>().Value.ExpiredRows);
        // In AWS Lambda the relay runs when a schedule invokes it (POST /events), with its figure for the alarm.
        builder.Services.AddSingleton<EmbeddedMetrics>();
        builder.Services.AddSingleton<IScheduledTask, RelayOutboxTask>();
    }
}
