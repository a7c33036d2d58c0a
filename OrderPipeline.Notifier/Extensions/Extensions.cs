using OrderPipeline.Messaging;
using OrderPipeline.Notifier.Notifications;

namespace OrderPipeline.Notifier.Extensions;

internal static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddMySqlDataSource("orders");
        // A database outage pauses the consumer instead of sending every notification to the DLQ.
        builder.AddMySqlOutageDetection("UPDATE notifications SET status = status WHERE FALSE");
        builder.AddSqsMessaging(queues => queues.OrderProcessed);
        builder.AddSqsConsumer<OrderProcessedHandler>(queues => queues.OrderProcessed);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<NotifierTelemetry>();
    }
}
