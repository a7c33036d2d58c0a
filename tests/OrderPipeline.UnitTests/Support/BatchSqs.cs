using System.Collections.Concurrent;
using Amazon;
using Amazon.Runtime;
using Amazon.SQS;
using Amazon.SQS.Model;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using OrderPipeline.Api.Publishing;
using OrderPipeline.Messaging.Publishing;
using OrderPipeline.Messaging.Sqs;
using OrderPipeline.Messaging.Telemetry;

namespace OrderPipeline.UnitTests.Support;

/// <summary>
/// SQS for the Api's sends, in memory: records every SendMessageBatch and answers it through <see cref="Answer"/>
/// (by default every entry stored). Never reaches the network.
/// </summary>
public sealed class BatchSqs()
    : AmazonSQSClient(new BasicAWSCredentials("AKIDEXAMPLE", "secret"), new AmazonSQSConfig { RegionEndpoint = RegionEndpoint.USEast1 })
{
    public const string QueueUrl = "https://sqs.us-east-1.amazonaws.com/123456789012/order-created";

    /// <summary>Every call's message bodies, in the order the calls were made.</summary>
    public ConcurrentQueue<IReadOnlyList<string>> Calls { get; } = new();

    public Func<SendMessageBatchRequest, CancellationToken, Task<SendMessageBatchResponse>> Answer { get; set; } =
        (request, _) => Task.FromResult(Stored(request));

    public static SendMessageBatchResponse Stored(SendMessageBatchRequest request) => new()
    {
        Successful = [.. request.Entries.Select(e => new SendMessageBatchResultEntry { Id = e.Id, MessageId = "m-" + e.Id })],
        Failed = [],
    };

    /// <summary>Stores every entry but those <paramref name="refuse"/> picks, which SQS refuses entry by entry.</summary>
    public static SendMessageBatchResponse Refusing(SendMessageBatchRequest request, Func<string, bool> refuse) => new()
    {
        Successful = [.. request.Entries.Where(e => !refuse(e.MessageBody))
            .Select(e => new SendMessageBatchResultEntry { Id = e.Id, MessageId = "m-" + e.Id })],
        Failed = [.. request.Entries.Where(e => refuse(e.MessageBody))
            .Select(e => new BatchResultErrorEntry { Id = e.Id, Code = "InvalidParameterValue", Message = "refused", SenderFault = true })],
    };

    public override Task<SendMessageBatchResponse> SendMessageBatchAsync(SendMessageBatchRequest request, CancellationToken cancellationToken = default)
    {
        Calls.Enqueue([.. request.Entries.Select(e => e.MessageBody)]);
        return Answer(request, cancellationToken);
    }

    /// <summary>A started <see cref="CoalescingSender"/> over the real <see cref="SqsEventPublisher"/> and this fake.</summary>
    public Senders Start(PublishingOptions options) => Start(options, TimeProvider.System);

    /// <summary>
    /// As <see cref="Start(PublishingOptions)"/>, with the sender's coalescing window on <paramref name="clock"/>: a test
    /// passes a fake one and moves it on to close the window.
    /// </summary>
    public Senders Start(PublishingOptions options, TimeProvider clock)
    {
        var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var telemetry = new MessagingTelemetry(services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>());
        var sender = new CoalescingSender(new SqsEventPublisher(this, new QueueUrlResolver(this), telemetry), Options.Create(options), clock,
            NullLogger<CoalescingSender>.Instance);
        sender.StartAsync(CancellationToken.None).GetAwaiter().GetResult();
        return new Senders(sender, telemetry, services);
    }

    /// <summary>The sender and what it needs, stopped and disposed together.</summary>
    public sealed class Senders(CoalescingSender sender, MessagingTelemetry telemetry, ServiceProvider services) : IAsyncDisposable
    {
        public CoalescingSender Sender => sender;

        public async ValueTask DisposeAsync()
        {
            await sender.DisposeAsync();
            telemetry.Dispose();
            await services.DisposeAsync();
        }
    }
}
