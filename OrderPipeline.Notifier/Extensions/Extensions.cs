using OrderPipeline.Messaging;
using OrderPipeline.Notifier.Notifications;

namespace OrderPipeline.Notifier.Extensions;

internal static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddMySqlDataSource("orders");
        builder.AddSqsMessaging(queues => queues.OrderProcessed);
        builder.AddSqsConsumer<OrderProcessedHandler>(queues => queues.OrderProcessed);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<NotifierTelemetry>();
    }
}
