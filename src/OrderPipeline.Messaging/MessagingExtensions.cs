using Amazon.SQS;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrderPipeline.Messaging.Consuming;
using OrderPipeline.Messaging.Outages;
using OrderPipeline.Messaging.Publishing;
using OrderPipeline.Messaging.Sqs;
using OrderPipeline.Messaging.Telemetry;
using OrderPipeline.Outages;

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
        services.AddDefaultAWSOptions(builder.Configuration.GetSqsClientOptions());
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
    /// Consumes one queue (call <see cref="AddSqsMessaging"/> first, naming it among the queues used) with
    /// <typeparamref name="THandler"/>: a long-polling consumer (on unless
    /// <c>Messaging:Consumer:Enabled</c> is false) and the same batch processing behind POST /events. A service may consume
    /// several queues; all its consumers share one <see cref="OutageBreaker"/>, which an <see cref="IOutageDetector"/>
    /// registered by the service (none: nothing is ever an outage) opens.
    /// </summary>
    public static IHostApplicationBuilder AddSqsConsumer<THandler>(this IHostApplicationBuilder builder, Func<QueueOptions, string> queue)
        where THandler : class, IMessageHandler
    {
        var queues = builder.Configuration.GetSection(QueueOptions.SectionName).Get<QueueOptions>() ?? new QueueOptions();
        var consumed = new ConsumedQueue(queue(queues));
        var services = builder.Services;
        services.AddOptions<SqsConsumerOptions>().BindConfiguration(SqsConsumerOptions.SectionName);
        services.AddOptions<OutageOptions>().BindConfiguration(OutageOptions.SectionName);
        services.AddOptions<OutageRequeueOptions>().BindConfiguration(OutageRequeueOptions.SectionName);
        services.TryAddSingleton<OutageRequeue>();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IOutageDetector, NoOutageDetector>();
        services.TryAddSingleton<OutageBreaker>();
        services.TryAddSingleton<THandler>();
        // POST /events serves the first consumer's handler (Lambda gives each function one queue).
        services.TryAddSingleton<IMessageHandler>(sp => sp.GetRequiredService<THandler>());
        services.TryAddSingleton(sp => NewProcessor(sp, sp.GetRequiredService<IMessageHandler>()));
        services.TryAddSingleton(consumed);
        // Not AddHostedService: that registers one consumer per type, and a service may consume several queues.
        services.AddSingleton<IHostedService>(sp => new SqsQueueConsumer(
            sp.GetRequiredService<IAmazonSQS>(),
            sp.GetRequiredService<QueueUrlResolver>(),
            NewProcessor(sp, sp.GetRequiredService<THandler>()),
            consumed,
            sp.GetRequiredService<OutageBreaker>(),
            sp.GetRequiredService<IOptions<SqsConsumerOptions>>(),
            sp.GetRequiredService<IOptions<OutageOptions>>(),
            sp.GetRequiredService<ILogger<SqsQueueConsumer>>(),
            sp.GetRequiredService<TimeProvider>()));
        return builder;
    }

    private static MessageBatchProcessor NewProcessor(IServiceProvider services, IMessageHandler handler) => new(
        handler,
        services.GetRequiredService<MessagingTelemetry>(),
        services.GetRequiredService<IOptions<SqsConsumerOptions>>(),
        services.GetRequiredService<ILogger<MessageBatchProcessor>>(),
        services.GetRequiredService<IOutageDetector>());
}
