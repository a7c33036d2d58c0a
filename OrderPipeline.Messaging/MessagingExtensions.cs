using Amazon.SQS;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using OrderPipeline.Messaging.Consuming;
using OrderPipeline.Messaging.Publishing;
using OrderPipeline.Messaging.Sqs;
using OrderPipeline.Messaging.Telemetry;

namespace OrderPipeline.Messaging;

public static class MessagingExtensions
{
    /// <summary>
    /// SQS from the <c>AWS</c> section (Region, ServiceURL; credentials through the AWS SDK's usual chain),
    /// the pipeline's queues from <c>Queues</c>, the publisher, telemetry, and an "sqs" health check
    /// over the queues the service uses.
    /// </summary>
    public static IHostApplicationBuilder AddSqsMessaging(this IHostApplicationBuilder builder, params Func<QueueOptions, string>[] queuesUsed)
    {
        var services = builder.Services;
        services.AddDefaultAWSOptions(builder.Configuration.GetAWSOptions());
        services.TryAddAWSService<IAmazonSQS>();
        services.AddOptions<QueueOptions>().BindConfiguration(QueueOptions.SectionName);
        services.TryAddSingleton<QueueUrlResolver>();
        services.TryAddSingleton<MessagingTelemetry>();
        services.TryAddSingleton<IEventPublisher, SqsEventPublisher>();

        var queues = builder.Configuration.GetSection(QueueOptions.SectionName).Get<QueueOptions>() ?? new QueueOptions();
        services.AddHealthChecks().Add(new Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckRegistration(
            "sqs",
            sp => new SqsHealthCheck(sp.GetRequiredService<IAmazonSQS>(), sp.GetRequiredService<QueueUrlResolver>(), [.. queuesUsed.Select(q => q(queues))]),
            failureStatus: null,
            tags: ["ready"]));
        return builder;
    }

    /// <summary>
    /// Consumes one queue (call <see cref="AddSqsMessaging"/> first, naming it among the queues used) with <typeparamref name="THandler"/>: a long-polling consumer (on unless
    /// <c>Messaging:Consumer:Enabled</c> is false) and the same batch processing behind POST /events.
    /// </summary>
    public static IHostApplicationBuilder AddSqsConsumer<THandler>(this IHostApplicationBuilder builder, Func<QueueOptions, string> queue)
        where THandler : class, IMessageHandler
    {
        var queues = builder.Configuration.GetSection(QueueOptions.SectionName).Get<QueueOptions>() ?? new QueueOptions();
        builder.Services.AddOptions<SqsConsumerOptions>().BindConfiguration(SqsConsumerOptions.SectionName);
        builder.Services.AddSingleton<IMessageHandler, THandler>();
        builder.Services.AddSingleton<MessageBatchProcessor>();
        builder.Services.AddSingleton(new ConsumedQueue(queue(queues)));
        builder.Services.AddHostedService<SqsQueueConsumer>();
        return builder;
    }
}
