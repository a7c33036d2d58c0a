using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrderPipeline.Messaging.Consuming;
using OrderPipeline.Messaging.Sqs;
using OrderPipeline.Messaging.Telemetry;
using OrderPipeline.UnitTests.Support;

namespace OrderPipeline.UnitTests;

/// <summary>POST /events as AWS Lambda (through the Lambda Web Adapter) calls it, on an in-memory server.</summary>
[Trait("Category", "Unit")]
public sealed class SqsEventsEndpointTests
{
    private const string TraceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    private const string OrderCreatedArn = "arn:aws:sqs:us-east-1:123456789012:order-created";

    private sealed class FakeHandler(params string[] failing) : IMessageHandler
    {
        public ConcurrentQueue<InboundMessage> Received { get; } = new();

        public async Task HandleAsync(InboundMessage message, CancellationToken cancellationToken)
        {
            Received.Enqueue(message);
            await Task.Yield();
            if (failing.Contains(message.MessageId, StringComparer.Ordinal))
            {
                throw message.Body.Contains("bad", StringComparison.Ordinal)
                    ? new InvalidMessageException("not an OrderCreated")
                    : new InvalidOperationException("database down");
            }
        }
    }

    private static async Task<WebApplication> StartAsync(IMessageHandler handler)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        builder.Services.AddMetrics();
        builder.Services.AddSingleton(handler);
        builder.Services.AddSingleton<MessagingTelemetry>();
        builder.Services.AddSingleton(Options.Create(new SqsConsumerOptions { Enabled = false, MaxConcurrency = 4 }));
        builder.Services.AddSingleton<MessageBatchProcessor>();
        // Only reached on an outage, which none of these handlers reports (LambdaOutageTests covers it on the emulator).
        FakeSqs.Create(out var sqs);
        builder.Services.AddSingleton(sqs);
        builder.Services.AddSingleton<QueueUrlResolver>();
        builder.Services.AddSingleton(Options.Create(new OutageRequeueOptions()));
        builder.Services.AddSingleton<OutageRequeue>();
        builder.Services.AddSingleton(new ConsumedQueue("order-created"));
        var app = builder.Build();
        app.MapSqsEvents();
        await app.StartAsync(TestContext.Current.CancellationToken);
        return app;
    }

    private static string Record(string messageId, string body, int receiveCount = 1, string arn = OrderCreatedArn) =>
        JsonSerializer.Serialize(new
        {
            messageId,
            receiptHandle = "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a" + messageId,
            body,
            attributes = new Dictionary<string, string>
            {
                ["ApproximateReceiveCount"] = receiveCount.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["SentTimestamp"] = "1741964966535",
                ["SenderId"] = "AIDAIENQZJOLO23YVJ4VO",
                ["ApproximateFirstReceiveTimestamp"] = "1741964966600",
            },
            messageAttributes = new Dictionary<string, object>
            {
                ["traceparent"] = new
                {
                    stringValue = TraceParent,
                    stringListValues = Array.Empty<string>(),
                    binaryListValues = Array.Empty<string>(),
                    dataType = "String",
                },
                ["event_type"] = new
                {
                    stringValue = "OrderCreated",
                    stringListValues = Array.Empty<string>(),
                    binaryListValues = Array.Empty<string>(),
                    dataType = "String",
                },
                ["checksum"] = new
                {
                    binaryValue = "AAEC",
                    stringListValues = Array.Empty<string>(),
                    binaryListValues = Array.Empty<string>(),
                    dataType = "Binary",
                },
            },
            md5OfBody = "e4e68fb7bd0e697a0ae8f1bb342846b3",
            eventSource = "aws:sqs",
            eventSourceARN = arn,
            awsRegion = "us-east-1",
        });

    private static string Event(params string[] records) => $"{{\"Records\":[{string.Join(",", records)}]}}";

    private static async Task<(HttpStatusCode Status, string? MediaType, string Body)> PostAsync(WebApplication app, string json)
    {
        using var client = app.GetTestClient();
        using var content = new StringContent(json, Encoding.UTF8, "application/json");
        using var response = await client.PostAsync(new Uri("/events", UriKind.Relative), content, TestContext.Current.CancellationToken);
        return (response.StatusCode, response.Content.Headers.ContentType?.MediaType,
            await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Answers_200_naming_exactly_the_failed_messages()
    {
        var handler = new FakeHandler("m-2", "m-3");
        await using var app = await StartAsync(handler);

        var (status, mediaType, body) = await PostAsync(app, Event(
            Record("m-1", "{\"order_id\":\"o-1\"}"),
            Record("m-2", "{\"order_id\":\"o-2\"}"),
            Record("m-3", "bad body"),
            Record("m-4", "{\"order_id\":\"o-4\"}")));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("application/json", mediaType);
        Assert.Equal("""{"batchItemFailures":[{"itemIdentifier":"m-2"},{"itemIdentifier":"m-3"}]}""", body);
        Assert.Equal(4, handler.Received.Count);
    }

    [Fact]
    public async Task Answers_an_empty_failure_list_when_every_message_is_handled()
    {
        var handler = new FakeHandler();
        await using var app = await StartAsync(handler);

        var (status, mediaType, body) = await PostAsync(app, Event(Record("m-1", "{}"), Record("m-2", "{}")));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("application/json", mediaType);
        Assert.Equal("""{"batchItemFailures":[]}""", body);
        Assert.Equal(2, handler.Received.Count);
    }

    [Fact]
    public async Task Answers_an_empty_failure_list_for_an_event_without_records()
    {
        var handler = new FakeHandler();
        await using var app = await StartAsync(handler);

        var (status, mediaType, body) = await PostAsync(app, """{"Records":[]}""");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("application/json", mediaType);
        Assert.Equal("""{"batchItemFailures":[]}""", body);
        Assert.Empty(handler.Received);
    }

    [Theory]
    [InlineData("this is not json")]
    [InlineData("{\"Records\":[")]
    [InlineData("null")]
    [InlineData("[]")]
    [InlineData("\"Records\"")]
    public async Task Answers_500_with_a_json_body_when_the_body_is_not_an_sqs_event(string json)
    {
        var handler = new FakeHandler();
        await using var app = await StartAsync(handler);

        var (status, mediaType, body) = await PostAsync(app, json);

        Assert.Equal(HttpStatusCode.InternalServerError, status);
        Assert.Equal("application/json", mediaType);
        using var document = JsonDocument.Parse(body);
        Assert.Equal(JsonValueKind.Object, document.RootElement.ValueKind);
        Assert.Empty(handler.Received);
    }

    [Fact]
    public async Task Hands_the_handler_the_body_trace_context_and_receive_count_of_each_record()
    {
        var handler = new FakeHandler();
        await using var app = await StartAsync(handler);

        await PostAsync(app, Event(Record("m-1", "{\"order_id\":\"o-1\"}", receiveCount: 3)));

        var message = Assert.Single(handler.Received);
        Assert.Equal("m-1", message.MessageId);
        Assert.Equal("{\"order_id\":\"o-1\"}", message.Body);
        Assert.Equal(3, message.ReceiveCount);
        Assert.Equal(TraceParent, message.Attributes[MessagingTelemetry.TraceParentAttribute]);
        Assert.Equal("OrderCreated", message.Attributes[MessagingTelemetry.EventTypeAttribute]);
        Assert.False(message.Attributes.ContainsKey("checksum"), "binary attributes have no string value and are left out");
    }

    [Fact]
    public async Task Takes_a_record_without_receive_count_or_attributes_as_a_first_delivery()
    {
        var handler = new FakeHandler();
        await using var app = await StartAsync(handler);

        var (status, _, body) = await PostAsync(app, """
            {"Records":[{"messageId":"m-1","receiptHandle":"r","body":"{}","eventSource":"aws:sqs",
            """ + """
            "eventSourceARN":"arn:aws:sqs:us-east-1:123456789012:order-created"}]}
            """);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("""{"batchItemFailures":[]}""", body);
        var message = Assert.Single(handler.Received);
        Assert.Equal(1, message.ReceiveCount);
        Assert.Empty(message.Attributes);
    }

    [Fact]
    public async Task Reports_failures_from_records_of_several_queues()
    {
        var handler = new FakeHandler("m-1", "m-4");
        await using var app = await StartAsync(handler);

        var (status, _, body) = await PostAsync(app, Event(
            Record("m-1", "{}"),
            Record("m-2", "{}", arn: "arn:aws:sqs:us-east-1:123456789012:order-processed"),
            Record("m-3", "{}"),
            Record("m-4", "{}", arn: "arn:aws:sqs:us-east-1:123456789012:order-processed")));

        Assert.Equal(HttpStatusCode.OK, status);
        using var document = JsonDocument.Parse(body);
        var failed = document.RootElement.GetProperty("batchItemFailures").EnumerateArray()
            .Select(f => f.GetProperty("itemIdentifier").GetString()).Order(StringComparer.Ordinal);
        Assert.Equal(["m-1", "m-4"], failed);
        Assert.Equal(4, handler.Received.Count);
    }
}
