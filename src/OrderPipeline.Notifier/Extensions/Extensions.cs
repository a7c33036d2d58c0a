using Microsoft.Extensions.Options;
using OrderPipeline.Messaging;
using OrderPipeline.Notifier.Notifications;
using OrderPipeline.Data;
using OrderPipeline.Data.Retention;

namespace OrderPipeline.Notifier.Extensions;

internal static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddMySqlDataSource("orders");
        // A database outage pauses the consumer instead of sending every notification to the DLQ. The probe is a DELETE
        // because that is a write the Notifier's own database user may run (in AWS: INSERT and DELETE, no UPDATE).
        builder.AddMySqlOutageDetection("DELETE FROM notifications WHERE FALSE");
        builder.AddSqsMessaging(queues => queues.OrderProcessed);
        builder.AddSqsConsumer<OrderProcessedHandler>(queues => queues.OrderProcessed);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<NotifierTelemetry>();

        // A record deleted while its event can still be redelivered would let the repeat through: refuse to start instead.
        builder.Services.AddOptions<NotificationRetentionOptions>()
            .BindConfiguration(NotificationRetentionOptions.SectionName)
            .Validate(
                retention => retention.RetentionDays > NotificationRetentionOptions.SqsMaxRetentionDays,
                "Notifications:Retention:RetentionDays "
                + $"must be more than {NotificationRetentionOptions.SqsMaxRetentionDays} days, SQS's longest message retention.")
            .ValidateOnStart();
        builder.Services.AddExpiredRowsCleanup(sp => sp.GetRequiredService<IOptions<NotificationRetentionOptions>>().Value.ExpiredRows);
    }
}
