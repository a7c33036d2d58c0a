using System.Collections.Immutable;
using System.Globalization;
using Amazon.SQS;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace OrderPipeline.AppHost.Lambda.EventSources;

/// <summary>
/// An <see cref="SqsEventSourceResource"/>'s life in the AppHost: it waits for its function and its queue, polls the
/// queue with an <see cref="SqsEventSourcePoller"/> until the AppHost stops, and shows its counts in the dashboard.
/// </summary>
internal static class SqsEventSourceHost
{
    private static readonly TimeSpan PublishInterval = TimeSpan.FromSeconds(1);

    /// <summary>The SQS client's HTTP timeout: longer than a 20-second long poll.</summary>
    private static readonly TimeSpan ClientTimeout = TimeSpan.FromSeconds(30);

    /// <summary>The dashboard's properties of an event source before it starts: its configuration and zero counts.</summary>
    public static ImmutableArray<ResourcePropertySnapshot> InitialProperties(SqsEventSourceResource source)
    {
        var options = source.Options;
        var concurrency = options.MaximumConcurrency is { } cap
            ? cap.ToString(CultureInfo.InvariantCulture)
            : $"unbounded ({SqsEventSourceOptions.LocalDefaultConcurrency} locally)";
        return WithCounts(ImmutableArray<ResourcePropertySnapshot>.Empty
            .With("eventSource.function", "Function", source.Parent.Name, sortOrder: 10)
            .With("eventSource.queue", "Queue", source.Queue.QueueName, sortOrder: 11)
            .With("eventSource.batchSize", "Batch size", options.BatchSize.ToString(CultureInfo.InvariantCulture), sortOrder: 12)
            .With("eventSource.window", "Batching window", $"{options.MaximumBatchingWindow.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s",
                sortOrder: 13)
            .With("eventSource.maxConcurrency", "Maximum concurrency", concurrency, sortOrder: 14)
            .With("eventSource.reportBatchItemFailures", "Report batch item failures", options.ReportBatchItemFailures ? "yes" : "no", sortOrder: 15),
            new SqsEventSourceCounters.Snapshot(0, 0, 0, 0));
    }

    public static Task StartAsync(SqsEventSourceResource source, InitializeResourceEvent @event, CancellationToken cancellationToken)
    {
        var stopping = @event.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
        var functions = @event.Services.GetRequiredService<LambdaFunctions>();
        var logger = @event.Services.GetRequiredService<ResourceLoggerService>().GetLogger(source);
        _ = RunAsync(source, @event.Notifications, functions, logger, stopping);
        return Task.CompletedTask;
    }

    private static async Task RunAsync(SqsEventSourceResource source, ResourceNotificationService notifications, LambdaFunctions functions,
        ILogger logger, CancellationToken stopping)
    {
        try
        {
            await notifications.PublishUpdateAsync(source, s => s with { State = KnownResourceStates.Waiting }).ConfigureAwait(false);
            await notifications.WaitForDependenciesAsync(source, stopping).ConfigureAwait(false);

            using var sqs = CreateClient(source.Queue.Parent);
            var queueUrl = await QueueUrlAsync(sqs, source.Queue.QueueName, logger, stopping).ConfigureAwait(false);
            var poller = new SqsEventSourcePoller(sqs, queueUrl, source.Options, new RegisteredInvoker(functions, source.Parent), logger);
            await notifications.PublishUpdateAsync(source, s => s with
            {
                State = KnownResourceStates.Running,
                StartTimeStamp = DateTime.UtcNow,
                Properties = s.Properties.With("eventSource.arn", "Queue ARN", poller.QueueArn, sortOrder: 16),
            }).ConfigureAwait(false);
            logger.LogInformation("Polling {Queue} for {Function}: batches of up to {BatchSize}, {Concurrency} at once",
                source.Queue.QueueName, source.Parent.Name, source.Options.BatchSize, source.Options.EffectiveConcurrency);

            var polling = poller.RunAsync(stopping);
            await PublishCountsAsync(source, poller.Counters, notifications, polling, stopping).ConfigureAwait(false);
            await polling.ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // The AppHost is stopping.
        }
        catch (Exception ex)
        {
            // A dependency that failed to start, most likely: the event source never polls.
            logger.LogError(ex, "The event source {EventSource} did not start", source.Name);
            await notifications.PublishUpdateAsync(source, s => s with { State = KnownResourceStates.FailedToStart }).ConfigureAwait(false);
            return;
        }
        await notifications.PublishUpdateAsync(source, s => s with
        {
            State = KnownResourceStates.Finished,
            StopTimeStamp = DateTime.UtcNow,
        }).ConfigureAwait(false);
    }

    /// <summary>The queue's URL, asked until SQS answers (the emulator may be starting again).</summary>
    private static async Task<string> QueueUrlAsync(IAmazonSQS sqs, string queueName, ILogger logger, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return (await sqs.GetQueueUrlAsync(queueName, cancellationToken).ConfigureAwait(false)).QueueUrl;
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                if (attempt == 1)
                {
                    logger.LogWarning("Could not find the queue {Queue} ({Error}); trying again", queueName, ex.Message);
                }
                await Task.Delay(SqsEventSourcePoller.Backoff(attempt), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Shows the counts every second while they change, and once more when the AppHost stops.</summary>
    private static async Task PublishCountsAsync(SqsEventSourceResource source, SqsEventSourceCounters counters,
        ResourceNotificationService notifications, Task polling, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(PublishInterval);
        var published = counters.Read();
        try
        {
            while (!polling.IsCompleted && await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                published = await PublishIfChangedAsync(published).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await polling.ConfigureAwait(false);
            await PublishIfChangedAsync(published).ConfigureAwait(false);
        }

        async Task<SqsEventSourceCounters.Snapshot> PublishIfChangedAsync(SqsEventSourceCounters.Snapshot last)
        {
            var counts = counters.Read();
            if (counts != last)
            {
                await notifications.PublishUpdateAsync(source, s => s with { Properties = WithCounts(s.Properties, counts) }).ConfigureAwait(false);
            }
            return counts;
        }
    }

    private static ImmutableArray<ResourcePropertySnapshot> WithCounts(ImmutableArray<ResourcePropertySnapshot> properties,
        SqsEventSourceCounters.Snapshot counts) => properties
        .With("eventSource.batches", "Batches invoked", counts.BatchesInvoked.ToString(CultureInfo.InvariantCulture), highlighted: true, sortOrder: 1)
        .With("eventSource.deleted", "Messages deleted", counts.MessagesDeleted.ToString(CultureInfo.InvariantCulture), highlighted: true, sortOrder: 2)
        .With("eventSource.leftForRetry", "Messages left for retry", counts.MessagesLeftForRetry.ToString(CultureInfo.InvariantCulture),
            highlighted: true, sortOrder: 3)
        .With("eventSource.failedInvocations", "Failed invocations", counts.FailedInvocations.ToString(CultureInfo.InvariantCulture),
            highlighted: true, sortOrder: 4);

    /// <summary>A client of the emulator with the AppHost's key pair, whose HTTP timeout outlasts a long poll.</summary>
    private static AmazonSQSClient CreateClient(SqsEmulatorResource emulator) => new(SqsEmulatorResource.Credentials, new AmazonSQSConfig
    {
        ServiceURL = emulator.PrimaryEndpoint.Url,
        AuthenticationRegion = SqsEmulatorResource.Region,
        MaxErrorRetry = 1,
        Timeout = ClientTimeout,
    });
}
