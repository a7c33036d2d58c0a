using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Amazon;
using Amazon.Runtime;
using Amazon.SQS;
using Amazon.SQS.Model;
using Microsoft.Extensions.DependencyInjection;
using OrderPipeline.Messaging.Events;
using OrderPipeline.Messaging.Publishing;
using OrderPipeline.Messaging.Sqs;
using OrderPipeline.Messaging.Telemetry;

namespace OrderPipeline.UnitTests;

[Trait("Category", "Unit")]
public sealed class SqsEventPublisherTests : IDisposable
{
    private const string QueueUrl = "https://sqs.us-east-1.amazonaws.com/123456789012/order-created";

    /// <summary>Captures SendMessageBatch requests in memory; never reaches the network.</summary>
    private sealed class FakeSqs()
        : AmazonSQSClient(new BasicAWSCredentials("AKIDEXAMPLE", "secret"), new AmazonSQSConfig { RegionEndpoint = RegionEndpoint.USEast1 })
    {
        public Exception? Failure { get; set; }

        public ConcurrentQueue<SendMessageBatchRequest> Batches { get; } = new();

        /// <summary>Bodies SQS refuses entry by entry (as it does a message over its size limit).</summary>
        public HashSet<string> RefusedBodies { get; } = [];

        public override Task<SendMessageBatchResponse> SendMessageBatchAsync(SendMessageBatchRequest request, CancellationToken cancellationToken = default)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (Failure is not null)
            {
                return Task.FromException<SendMessageBatchResponse>(Failure);
            }
            Batches.Enqueue(request);
            return Task.FromResult(new SendMessageBatchResponse
            {
                Successful = [.. request.Entries.Where(e => !RefusedBodies.Contains(e.MessageBody))
                    .Select(e => new SendMessageBatchResultEntry { Id = e.Id, MessageId = "m-" + e.Id })],
                Failed = [.. request.Entries.Where(e => RefusedBodies.Contains(e.MessageBody))
                    .Select(e => new BatchResultErrorEntry
                    {
                        Id = e.Id, Code = "InvalidParameterValue", Message = "too long", SenderFault = true,
                    })],
            });
        }

        public override Task<GetQueueUrlResponse> GetQueueUrlAsync(string queueName, CancellationToken cancellationToken = default) =>
            Task.FromResult(new GetQueueUrlResponse { QueueUrl = $"https://sqs.us-east-1.amazonaws.com/123456789012/{queueName}" });
    }

    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly MessagingTelemetry _telemetry;
    private readonly FakeSqs _sqs = new();
    private readonly SqsEventPublisher _publisher;

    public SqsEventPublisherTests()
    {
        _telemetry = new MessagingTelemetry(_services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>());
        _publisher = new SqsEventPublisher(_sqs, new QueueUrlResolver(_sqs), _telemetry);
    }

    public void Dispose()
    {
        _sqs.Dispose();
        _telemetry.Dispose();
        _services.Dispose();
    }

    private static readonly OrderCreated Created = new("o-1", "c-1", [new OrderLine("p-1", 2)], new DateTime(2025, 3, 14, 15, 9, 26, DateTimeKind.Utc));

    [Fact]
    public async Task Sends_the_serialized_event_with_its_type_to_the_queue()
    {
        var body = JsonSerializer.Serialize(Created, EventJsonContext.Default.OrderCreated);

        await _publisher.SendBatchAsync([new OutgoingMessage(QueueUrl, OrderCreated.EventType, body, null, null)], TestContext.Current.CancellationToken);

        var request = Assert.Single(_sqs.Batches);
        Assert.Equal(QueueUrl, request.QueueUrl);
        var entry = Assert.Single(request.Entries);
        Assert.Equal(body, entry.MessageBody);
        var eventType = entry.MessageAttributes[MessagingTelemetry.EventTypeAttribute];
        Assert.Equal("String", eventType.DataType);
        Assert.Equal("OrderCreated", eventType.StringValue);
    }

    [Fact]
    public async Task Resolves_a_queue_name_to_its_url()
    {
        await _publisher.SendBatchAsync([Stored(1, "order-processed")], TestContext.Current.CancellationToken);

        Assert.Equal("https://sqs.us-east-1.amazonaws.com/123456789012/order-processed", Assert.Single(_sqs.Batches).QueueUrl);
    }

    [Fact]
    public async Task Sends_an_outbox_message_with_its_stored_trace_context()
    {
        const string storedTraceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

        await _publisher.SendBatchAsync(
            [new OutgoingMessage(QueueUrl, "OrderProcessed", "{\"order_id\":\"o-1\"}", storedTraceParent, "congo=t61rcWkgMzE")],
            TestContext.Current.CancellationToken);

        var entry = Assert.Single(Assert.Single(_sqs.Batches).Entries);
        Assert.Equal("{\"order_id\":\"o-1\"}", entry.MessageBody);
        Assert.Equal("OrderProcessed", entry.MessageAttributes[MessagingTelemetry.EventTypeAttribute].StringValue);
        Assert.True(ActivityContext.TryParse(entry.MessageAttributes[MessagingTelemetry.TraceParentAttribute].StringValue, null, out var context));
        Assert.Equal("0af7651916cd43dd8448eb211c80319c", context.TraceId.ToHexString());
        Assert.Equal("congo=t61rcWkgMzE", entry.MessageAttributes[MessagingTelemetry.TraceStateAttribute].StringValue);
    }

    private static OutgoingMessage Stored(int n, string queue = QueueUrl) =>
        new(queue, "OrderProcessed", $$"""{"order_id":"o-{{n}}"}""", $"00-0af7651916cd43dd8448eb211c8031{n:D2}-b7ad6b7169203331-01", "congo=t61rcWkgMzE");

    [Fact]
    public async Task A_batch_goes_out_in_calls_of_at_most_ten_each_entry_with_its_own_trace_context()
    {
        var messages = Enumerable.Range(0, 12).Select(n => Stored(n)).ToList();

        var results = await _publisher.SendBatchAsync(messages, TestContext.Current.CancellationToken);

        Assert.Equal([10, 2], _sqs.Batches.Select(b => b.Entries.Count));
        Assert.All(results, r => Assert.True(r.Sent));
        Assert.Equal(messages, results.Select(r => r.Message));
        var entries = _sqs.Batches.SelectMany(b => b.Entries).ToList();
        for (var n = 0; n < messages.Count; n++)
        {
            Assert.Equal(messages[n].Body, entries[n].MessageBody);
            Assert.Equal("OrderProcessed", entries[n].MessageAttributes[MessagingTelemetry.EventTypeAttribute].StringValue);
            Assert.True(ActivityContext.TryParse(entries[n].MessageAttributes[MessagingTelemetry.TraceParentAttribute].StringValue, null, out var context));
            Assert.Equal($"0af7651916cd43dd8448eb211c8031{n:D2}", context.TraceId.ToHexString());
            Assert.Equal("congo=t61rcWkgMzE", entries[n].MessageAttributes[MessagingTelemetry.TraceStateAttribute].StringValue);
        }
    }

    [Fact]
    public async Task An_entry_sqs_refuses_fails_alone()
    {
        var messages = Enumerable.Range(0, 3).Select(n => Stored(n)).ToList();
        _sqs.RefusedBodies.Add(messages[1].Body);

        var results = await _publisher.SendBatchAsync(messages, TestContext.Current.CancellationToken);

        Assert.Equal([true, false, true], results.Select(r => r.Sent));
        Assert.Equal("InvalidParameterValue: too long", results[1].Error);
        Assert.False(results[1].MayHaveBeenStored, "SQS refused the entry: it was not stored");
    }

    [Fact]
    public async Task A_call_that_fails_as_a_whole_says_whether_sqs_may_have_stored_its_messages()
    {
        _sqs.Failure = new AmazonSQSException("internal error") { StatusCode = System.Net.HttpStatusCode.InternalServerError };
        var lost = await _publisher.SendBatchAsync([Stored(0), Stored(1)], TestContext.Current.CancellationToken);
        _sqs.Failure = new HttpRequestException(HttpRequestError.ConnectionError, "Connection refused");
        var refused = await _publisher.SendBatchAsync([Stored(0)], TestContext.Current.CancellationToken);

        Assert.All(lost, r => Assert.True(!r.Sent && r.MayHaveBeenStored));
        Assert.True(!refused[0].Sent && !refused[0].MayHaveBeenStored);
    }

    [Fact]
    public async Task A_failed_call_fails_its_own_batch_and_the_other_queues_are_still_tried()
    {
        var messages = new[] { Stored(0, "missing-queue"), Stored(1), Stored(2, "missing-queue") };
        var sqs = new MissingQueueSqs();
        var publisher = new SqsEventPublisher(sqs, new QueueUrlResolver(sqs), _telemetry);

        var results = await publisher.SendBatchAsync(messages, TestContext.Current.CancellationToken);

        Assert.Equal([false, true, false], results.Select(r => r.Sent));
        Assert.Contains("QueueDoesNotExist", results[0].Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cancellation_is_not_reported_as_a_failed_send()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _publisher.SendBatchAsync([Stored(0)], cancelled.Token));
    }

    /// <summary>SQS where only <see cref="QueueUrl"/> exists.</summary>
    private sealed class MissingQueueSqs()
        : AmazonSQSClient(new BasicAWSCredentials("AKIDEXAMPLE", "secret"), new AmazonSQSConfig { RegionEndpoint = RegionEndpoint.USEast1 })
    {
        public override Task<GetQueueUrlResponse> GetQueueUrlAsync(string queueName, CancellationToken cancellationToken = default) =>
            Task.FromException<GetQueueUrlResponse>(new QueueDoesNotExistException("The specified queue does not exist."));

        public override Task<SendMessageBatchResponse> SendMessageBatchAsync(SendMessageBatchRequest request, CancellationToken cancellationToken = default) =>
            Task.FromResult(new SendMessageBatchResponse
            {
                Successful = [.. request.Entries.Select(e => new SendMessageBatchResultEntry { Id = e.Id, MessageId = "m-" + e.Id })],
            });
    }
}
