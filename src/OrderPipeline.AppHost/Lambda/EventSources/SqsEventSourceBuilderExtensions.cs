using Microsoft.Extensions.DependencyInjection.Extensions;
using OrderPipeline.AppHost.Lambda;
using OrderPipeline.AppHost.Lambda.EventSources;

namespace Aspire.Hosting;

/// <summary>
/// Provides extension methods for giving a Lambda function an SQS queue as its event source, as an
/// <c>AWS::Lambda::EventSourceMapping</c> does. The shape follows the AWS integrations for .NET Aspire
/// (<c>WithSQSEventSource</c>), so that package can take its place.
/// </summary>
public static class SqsEventSourceBuilderExtensions
{
    /// <summary>
    /// Polls <paramref name="queue"/> for the function, as Lambda does: batches of messages in Lambda's SQS event, up to
    /// the maximum concurrency at once; the messages an invocation handled are deleted, and those of a failed invocation
    /// (or those it reports failed, with <see cref="SqsEventSourceOptions.ReportBatchItemFailures"/>) come back after their
    /// visibility timeout. The event source is the child resource <c>{function}-{queue}</c>, shown in the dashboard with its
    /// counts; it starts once the function and the queue are running.
    /// </summary>
    /// <param name="function">The builder for the <see cref="LambdaFunctionResource"/>.</param>
    /// <param name="queue">The queue polled.</param>
    /// <param name="options">The event source's configuration; Lambda's defaults if <see langword="null"/>.</param>
    /// <returns>A reference to the function's <see cref="IResourceBuilder{T}"/>.</returns>
    public static IResourceBuilder<LambdaFunctionResource> WithSqsEventSource(this IResourceBuilder<LambdaFunctionResource> function,
        IResourceBuilder<SqsQueueResource> queue, SqsEventSourceOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(function);
        ArgumentNullException.ThrowIfNull(queue);

        var builder = function.ApplicationBuilder;
        builder.Services.TryAddSingleton<LambdaFunctions>();
        var source = new SqsEventSourceResource($"{function.Resource.Name}-{queue.Resource.Name}", function.Resource, queue.Resource,
            options ?? new SqsEventSourceOptions());
        builder.AddResource(source)
            .WithParentRelationship(function)
            .WithReferenceRelationship(queue)
            // WaitFor refuses a resource's own parent (its children usually follow its state); this child runs on its own.
            .WithAnnotation(new WaitAnnotation(function.Resource, WaitType.WaitUntilHealthy))
            .WaitFor(queue)
            .ExcludeFromManifest()
            .WithIconName("ArrowSync")
            .WithInitialState(new CustomResourceSnapshot
            {
                ResourceType = SqsEventSourceResource.ResourceTypeName,
                State = KnownResourceStates.NotStarted,
                Properties = SqsEventSourceHost.InitialProperties(source),
            })
            .OnInitializeResource(SqsEventSourceHost.StartAsync);
        return function;
    }
}
