using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Amazon.SQS.Model;
using OrderPipeline.Api.Orders;
using OrderPipeline.Tests.Shared;
using OrderPipeline.FunctionalTests.Support;

namespace OrderPipeline.FunctionalTests.Integration;

/// <summary>
/// The real Api, hosted in-process against the SQS emulator, sent raw bytes: every malformed text is a 4xx
/// problem+json and nothing reaches the queue.
/// </summary>
[Collection(InfrastructureCollection.Name)]
public sealed class MalformedTextApiTests(InfrastructureFixture infra)
{
    private const string Items = """[{"product_id":"SKU-1001","quantity":1}]""";

    private static byte[] Bytes(params object[] parts) =>
        [.. parts.SelectMany(p => p switch
        {
            string text => Encoding.UTF8.GetBytes(text),
            byte[] raw => raw,
            _ => throw new ArgumentException("text or bytes", nameof(parts)),
        })];

    /// <summary>Body, Content-Type, the status expected and the field its error is on (null: any field).</summary>
    public static TheoryData<string, byte[], string, int, string?> Bodies => new()
    {
        { "Latin-1 é", Bytes("{\"customer_id\":\"caf", new byte[] { 0xE9 }, "\",\"items\":" + Items + "}"), "application/json", 400, "body" },
        { "invalid bytes", Bytes("{\"customer_id\":\"c", new byte[] { 0xFF, 0xFE, 0xC3 }, "\",\"items\":" + Items + "}"), "application/json", 400, "body" },
        { "UTF-8-encoded surrogate",
            Bytes("{\"customer_id\":\"c", new byte[] { 0xED, 0xB0, 0x80 }, "\",\"items\":" + Items + "}"),
            "application/json", 400, "body" },
        { "bad byte in a property name",
            Bytes("{\"customer_id\":\"c\",\"items\":" + Items + ",\"x", new byte[] { 0x80 }, "\":1}"),
            "application/json", 400, "body" },
        { "unpaired low surrogate", Bytes("{\"customer_id\":\"\\udc00\",\"items\":" + Items + "}"), "application/json", 400, "body" },
        { "unpaired high surrogate in a product",
            Bytes("{\"customer_id\":\"c\",\"items\":[{\"product_id\":\"p\\ud800\",\"quantity\":1}]}"),
            "application/json", 400, "body" },
        { "unpaired surrogate as a property name", Bytes("{\"\\ud800\":1}"), "application/json", 400, "body" },
        { "unpaired surrogate as an item's property name",
            Bytes("{\"customer_id\":\"c\",\"items\":[{\"product_id\":\"p\",\"quantity\":1,\"\\udfff\":1}]}"),
            "application/json", 400, "body" },
        { "ISO-8859-1 é",
            Bytes("{\"customer_id\":\"caf", new byte[] { 0xE9 }, "\",\"items\":" + Items + "}"),
            "application/json; charset=iso-8859-1", 415, null },
        { "UTF-16", Encoding.Unicode.GetBytes("{\"customer_id\":\"c\",\"items\":" + Items + "}"), "application/json; charset=utf-16", 415, null },
        { "zero-width space in customer_id", Bytes("{\"customer_id\":\"c\u200B1\",\"items\":" + Items + "}"), "application/json", 400, "customer_id" },
        { "escaped BOM in customer_id", Bytes("{\"customer_id\":\"\\ufeffc-1\",\"items\":" + Items + "}"), "application/json", 400, "customer_id" },
        { "right-to-left override in product_id",
            Bytes("{\"customer_id\":\"c\",\"items\":[{\"product_id\":\"SKU-\u202E1001\",\"quantity\":1}]}"),
            "application/json", 400, "items[0].product_id" },
    };

    [Fact]
    public async Task Every_malformed_text_is_a_4xx_problem_and_nothing_is_published()
    {
        var (queue, _) = await infra.CreateQueuePairAsync("api-text");
        await using var api = new ServiceFactory<OrderQueries>(infra.ServiceSettings(queue));
        using var client = api.CreateClient();

        foreach (var row in Bodies)
        {
            var (name, body, contentType, expected, field) = row.Data;
            using var content = new ByteArrayContent(body);
            content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
            using var response = await client.PostAsync("/api/orders", content, TestContext.Current.CancellationToken);

            Assert.True(
                expected == (int)response.StatusCode,
                $"{name}: expected {expected}, got {(int)response.StatusCode} "
                    + $"{await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
            Assert.Equal(expected, problem.GetProperty("status").GetInt32());
            if (field is not null)
            {
                Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"{name}: no error on {field}: {problem}");
            }
        }

        // Nothing was published; a valid order sent last is the only message, so the queue did work.
        using var valid = await client.PostAsync("/api/orders",
            new StringContent(
                "{\"customer_id\":\"caf\u00e9-\U0001F600\",\"items\":" + Items + "}", Encoding.UTF8, "application/json"),
            TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Accepted, valid.StatusCode);
        var messages = new List<Message>();
        for (var i = 0; i < 3; i++)
        {
            var received = await infra.SqsClient.ReceiveMessageAsync(
                new ReceiveMessageRequest { QueueUrl = queue, MaxNumberOfMessages = 10, WaitTimeSeconds = 1 },
                TestContext.Current.CancellationToken);
            messages.AddRange(received.Messages ?? []);
        }
        var created = JsonSerializer.Deserialize(Assert.Single(messages).Body, OrderPipeline.Messaging.Events.EventJsonContext.Default.OrderCreated)!;
        Assert.Equal("caf\u00e9-\U0001F600", created.CustomerId);
    }
}
