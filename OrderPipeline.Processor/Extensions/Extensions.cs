using OrderPipeline.Messaging;
using OrderPipeline.Processor.Orders;
using OrderPipeline.Processor.Outbox;

namespace OrderPipeline.Processor.Extensions;

internal static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddMySqlDataSource("orders");
        builder.AddSqsMessaging(queues => queues.OrderCreated, queues => queues.OrderProcessed);
        builder.AddSqsConsumer<OrderCreatedHandler>(queues => queues.OrderCreated);

        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<ProcessorTelemetry>();
        builder.Services.AddSingleton<OrderTransaction>();
        builder.Services.AddSingleton<OutboxPublisher>();

        builder.Services.AddOptions<OutboxOptions>().BindConfiguration(OutboxOptions.SectionName);
        builder.Services.AddHostedService<OutboxRelay>();
    }
}
