using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Amazon.SQS.Model;
using CsCheck;
using OrderPipeline.Api.Orders;
using OrderPipeline.Messaging.Events;
using OrderPipeline.Tests.Shared;
using OrderPipeline.FunctionalTests.Support;

namespace OrderPipeline.FunctionalTests.Integration;

/// <summary>
/// Property-based fuzzing of POST /api/orders on the real Api (in-process, against the real SQS emulator, on a queue
/// of its own): over a thousand generated hostile bodies and headers. Whatever arrives, the Api answers 4xx
/// problem+json (as its OpenAPI document declares) or 202, never 5xx; publishes nothing it refused; and stays healthy.
/// </summary>
[Collection(InfrastructureCollection.Name)]
public sealed class ApiFuzzTests(InfrastructureFixture infra)
{
    private const int Requests = 1200;
    private const string ValidOrder = """{"customer_id":"fuzz","items":[{"product_id":"SKU-1001","quantity":1}]}""";

    /// <summary>One request: what kind of hostility it carries (to check the mix), its body and its headers.</summary>
    public sealed record Hostile(string Kind, byte[] Body, string? ContentType, string[] IdempotencyKeys, (string Name, string Value)[] Headers)
    {
        public override string ToString() =>
            $"{Kind}: Content-Type={ContentType ?? "(none)"} keys=[{string.Join("|", IdempotencyKeys)}] "
            + $"headers=[{string.Join("|", Headers.Select(h => h.Name + ": " + h.Value))}] "
            + $"body({Body.Length})={Convert.ToHexString(Body.AsSpan(0, Math.Min(Body.Length, 200)))}";
    }

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    private static byte[] Concat(params byte[][] parts) => [.. parts.SelectMany(p => p)];

    private static readonly Gen<string> PrintableText = Gen.Char[' ', '~'].Array[0, 30].Select(chars => new string(chars));

    /// <summary>Bytes no UTF-8 decoder may accept: stray continuations, overlong forms, encoded surrogates, cut sequences, bytes never used.</summary>
    private static readonly Gen<byte[]> InvalidUtf8 = Gen.OneOf<byte[]>(
        [0x80], [0xBF], [0xC0, 0xAF], [0xC1, 0xBF], [0xE0, 0x80, 0xAF], [0xED, 0xA0, 0x80], [0xED, 0xBF, 0xBF], [0xF0, 0x9F],
        [0xF0, 0x9F, 0x98], [0xF4, 0x90, 0x80, 0x80], [0xF5, 0x80, 0x80, 0x80], [0xFE], [0xFF], [0xE9], [0xC3]);

    private static readonly Gen<string> SurrogateEscape = Gen.OneOf(
        @"\ud800", @"\udc00", @"\udfff", @"\ud83d", @"\ude00\ud83d", @"\ud800\u0041", @"\ud800\ud800", @"\uDBFF");

    /// <summary>Control and format characters, raw (invalid in a JSON string when below U+0020) or escaped.</summary>
    private static readonly Gen<string> OddCharacter = Gen.OneOf(
        "\u0000", "\u0007", "\n", "\u001B", "\u007F", "\u0085", @"\u0000", @"\u001f", @"\n", "\u200B", "\u200D", "\u202E", "\u2066",
        "\uFEFF", @"\ufeff", @"\u00ad", "\u061C", "\U000E0001", "\u2028", "\u3000");

    private static readonly Gen<string> Fragment = Gen.OneOf(
        "{", "}", "[", "]", "\"", ":", ",", "\\", " ", "\"customer_id\"", "\"items\"", "\"product_id\"", "\"quantity\"", "\"c\"", "1", "-",
        "1e", "0x1F", "null", "tru", "NaN", "Infinity", "'", "/*", "//", "\u00e9");

    /// <summary>Valid-looking orders with one field of the wrong type or an absurd value.</summary>
    private static readonly Gen<string> WrongShape = Gen.OneOf(
        """{"customer_id":{"id":1},"items":[{"product_id":"SKU-1001","quantity":1}]}""",
        """{"customer_id":["c"],"items":[{"product_id":"SKU-1001","quantity":1}]}""",
        """{"customer_id":12,"items":{"product_id":"SKU-1001","quantity":1}}""",
        """{"customer_id":"c","items":[{"product_id":true,"quantity":"1"}]}""",
        """{"customer_id":"c","items":[{"product_id":"SKU-1001","quantity":[1]}]}""",
        """{"customer_id":"c","items":[{"product_id":"SKU-1001","quantity":{"value":1}}]}""",
        """{"customer_id":"c","items":[null,{"product_id":"SKU-1001"}]}""",
        """{"customer_id":"c","customer_id":"d","items":[{"product_id":"SKU-1001","quantity":1}]}""",
        """{"customer_id":"c","items":[{"product_id":"SKU-1001","quantity":1,"quantity":2}]}""",
        """{"__proto__":{},"constructor":1,"customer_id":"c","items":[{"product_id":"SKU-1001","quantity":1}]}""",
        "[]", "\"\"", "0", "null", "true", "", " ", "\uFEFF" + ValidOrder, ValidOrder + ValidOrder, ValidOrder + "]", ValidOrder[..^1]);

    private static readonly Gen<byte[]> Body = Gen.Frequency(
        (3, Fragment.Array[0, 60].Select(parts => Utf8(string.Concat(parts)))),
        (2, Gen.Select(Gen.Int[1, 6000], Gen.OneOf("[", "{\"a\":", "[{\"x\":"), (depth, open) =>
            Utf8(string.Concat(Enumerable.Repeat(open, depth)) + "1"
                + string.Concat(Enumerable.Repeat(open == "[" ? "]" : open == "{\"a\":" ? "}" : "}]", depth))))),
        (1, Gen.Int[17, 60].Select(depth => Utf8(
            $$"""{"customer_id":"c","items":[{{string.Concat(Enumerable.Repeat("[", depth))}}"""
                + $$"""{{string.Concat(Enumerable.Repeat("]", depth))}}]}"""))),
        (2, Gen.OneOf("1" + new string('0', 400), "1e999999999", "-1e-999999", "1E+99999999999999999999", "0." + new string('0', 5000) + "1",
                "123456789012345678901234567890", "-0.0", "1e-7", "9223372036854775808", "4.9e-324", "1.7976931348623157e309")
            .Select(number => Utf8($$"""{"customer_id":"c","items":[{"product_id":"SKU-1001","quantity":{{number}}}]}"""))),
        (2, WrongShape.Select(Utf8)),
        (3, Gen.Select(InvalidUtf8, Gen.Int[0, 3], (bad, where) => where switch
        {
            0 => Concat(Utf8("{\"customer_id\":\"c"), bad, Utf8("\",\"items\":[{\"product_id\":\"SKU-1001\",\"quantity\":1}]}")),
            1 => Concat(Utf8("{\"customer_id\":\"c\",\"items\":[{\"product_id\":\"SKU-1001\",\"quantity\":1,\"x"), bad, Utf8("\":1}]}")),
            2 => Concat(bad, Utf8(ValidOrder)),
            _ => Concat(Utf8(ValidOrder[..^1] + ","), bad, Utf8("}")),
        })),
        (3, Gen.Select(SurrogateEscape, Gen.Int[0, 2], (escape, where) => Utf8(where switch
        {
            0 => $$"""{"customer_id":"c{{escape}}","items":[{"product_id":"SKU-1001","quantity":1}]}""",
            1 => $$"""{"customer_id":"c","items":[{"product_id":"SKU-1001","quantity":1,"{{escape}}":1}]}""",
            _ => $$"""{"{{escape}}":"c","items":[{"product_id":"SKU-{{escape}}","quantity":1}]}""",
        }))),
        (3, Gen.Select(OddCharacter, PrintableText.Where(t => !t.Contains('"') && !t.Contains('\\')), Gen.Bool, (odd, text, inProduct) =>
            Utf8(inProduct
                ? $$"""{"customer_id":"c","items":[{"product_id":"{{text}}{{odd}}","quantity":1}]}"""
                : $$"""{"customer_id":"{{odd}}{{text}}","items":[{"product_id":"SKU-1001","quantity":1}]}"""))),
        (2, Gen.Int[OrderRules.MaxBodyBytes - 64, OrderRules.MaxBodyBytes * 12].Select(size =>
            Utf8($$"""{"customer_id":"{{new string('x', size)}}","items":[{"product_id":"SKU-1001","quantity":1}]}"""))),
        (1, Gen.Int[0, 256].Array[0, 300].Select(values => values.Select(v => (byte)v).ToArray())),
        (1, Gen.Const(() => Utf8(ValidOrder))));

    private static readonly Gen<string?> ContentType = Gen.Frequency(
        (6, Gen.OneOf<string?>("application/json", "application/json; charset=utf-8", "application/json;charset=UTF8",
            "application/json; charset=\"utf-8\"", "APPLICATION/JSON")),
        (6, Gen.OneOf<string?>(null, "", ";", "*/*", "application/*", "text/plain", "text/json", "application/xml", "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x", "application/problem+json", "application/vnd.api+json", "application/json; charset=latin1",
            "application/json; charset=iso-8859-1", "application/json; charset=utf-16", "application/json; charset=utf-32", "application/json; charset=",
            "application/json; charset", "application/json; charset=utf-8; charset=latin1", "application/json;;;", "application/json; boundary=\"",
            "application/jsön", "application/json\t", "application/json; charset=\"", "application/json; q=0.5", "json")),
        (1, PrintableText.Select(t => (string?)t)));

    private static readonly Gen<string[]> IdempotencyKeys = Gen.Frequency(
        (6, Gen.Const(Array.Empty<string>())),
        (3, Gen.Guid.Select(id => new[] { $"fuzz-{id:N}" })),
        (4, Gen.Select(Gen.Guid, Gen.OneOf("", " ", "\t", "é", "\u00FF", "\u007F", "\u200B", "😀", ",", "\"", "%00", "a b"),
            Gen.Int[0, 2], (id, odd, where) => new[]
        {
            where switch { 0 => odd, 1 => $"{odd}{id:N}", _ => $"{id:N}{odd}" },
        })),
        (1, Gen.Int[129, 10_000].Select(length => new[] { new string('k', length) })),
        (2, Gen.Guid.Select(id => new[] { $"a-{id:N}", $"b-{id:N}" })));

    private static readonly Gen<(string, string)[]> OtherHeaders = Gen.OneOf<(string, string)>(
        ("Content-Encoding", "gzip"), ("Content-Encoding", "br, identity"), ("Accept", "application/xml"),
        ("Accept", "text/html"), ("Accept-Charset", "utf-16"),
        ("X-Forwarded-For", "not-an-address"), ("X-Forwarded-Proto", "gopher"), ("Expect", "nothing"), ("Content-Language", "xx-\u00e9"),
        ("X-Amzn-Trace-Id", "Root=garbage"), ("traceparent", "00-zz-zz-01"), ("Cookie", new string('c', 4000))).Array[0, 3];

    private static readonly Gen<Hostile> Request = Gen.Select(Body, ContentType, IdempotencyKeys, OtherHeaders, (body, contentType, keys, headers) =>
        new Hostile(Kind(body), body, contentType, keys, headers));

    private static string Kind(byte[] body) =>
        body.Length > OrderRules.MaxBodyBytes ? "oversized"
        : !System.Text.Unicode.Utf8.IsValid(body) ? "invalid UTF-8"
        : Encoding.UTF8.GetString(body) is var text && text.Contains(@"\ud", StringComparison.OrdinalIgnoreCase) ? "surrogate escape"
        : text.StartsWith("[[[[[[[[[[", StringComparison.Ordinal)
            || text.StartsWith("{\"a\":{\"a\":", StringComparison.Ordinal)
            || text.StartsWith("[{\"x\":[{\"x\":", StringComparison.Ordinal) ? "deep nesting"
        : "other";

    [Fact]
    public async Task A_thousand_hostile_requests_get_4xx_problems_or_202_never_5xx_nothing_refused_is_published_and_the_api_stays_healthy()
    {
        var cancellation = TestContext.Current.CancellationToken;
        var (queue, _) = await infra.CreateQueuePairAsync("api-fuzz");
        await using var api = new ServiceFactory<OrderQueries>(infra.ServiceSettings(queue));
        using var client = api.CreateClient();
        var contract = await OpenApiContract.FetchAsync(client, cancellation);

        var accepted = new HashSet<string>(StringComparer.Ordinal);
        var byStatus = new Dictionary<int, int>();
        var byKind = new Dictionary<string, int>();
        var sent = 0;
        await Check.SampleAsync(Request, async hostile =>
        {
            using var content = new ByteArrayContent(hostile.Body);
            if (hostile.ContentType is not null)
            {
                content.Headers.TryAddWithoutValidation("Content-Type", hostile.ContentType);
            }
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/orders") { Content = content };
            foreach (var key in hostile.IdempotencyKeys)
            {
                request.Headers.TryAddWithoutValidation(OrdersApi.IdempotencyKeyHeader, key);
            }
            foreach (var (name, value) in hostile.Headers)
            {
                if (!request.Headers.TryAddWithoutValidation(name, value))
                {
                    content.Headers.TryAddWithoutValidation(name, value);
                }
            }

            using var response = await client.SendAsync(request, cancellation);
            var status = (int)response.StatusCode;
            var text = await response.Content.ReadAsStringAsync(cancellation);
            sent++;
            byStatus[status] = byStatus.GetValueOrDefault(status) + 1;
            byKind[hostile.Kind] = byKind.GetValueOrDefault(hostile.Kind) + 1;

            Assert.True(status < 500, $"{status} {text}");
            // Every answer is one the document declares for this operation, in its declared shape.
            var mediaType = response.Content.Headers.ContentType?.MediaType ?? "(none)";
            Assert.Null(OpenApiContract.Check(contract.ResponseSchema("post", "/api/orders", status, mediaType), JsonNode.Parse(text)));
            if (response.StatusCode == HttpStatusCode.Accepted)
            {
                accepted.Add((string)JsonNode.Parse(text)!["order_id"]!);
                return;
            }
            Assert.InRange(status, 400, 499);
            Assert.Equal("application/problem+json", mediaType);
            using var problem = JsonDocument.Parse(text);
            Assert.Equal(status, problem.RootElement.GetProperty("status").GetInt32());
            Assert.False(string.IsNullOrEmpty(problem.RootElement.GetProperty("title").GetString()));
        }, iter: Requests, threads: 1, print: h => h.ToString());

        Assert.True(sent >= Requests, $"{sent} requests sent");
        Assert.All(new[] { "oversized", "invalid UTF-8", "surrogate escape", "deep nesting" },
            kind => Assert.True(byKind.GetValueOrDefault(kind) >= 20, $"{kind}: {byKind.GetValueOrDefault(kind)}"));
        Assert.True(byStatus.Keys.Count(s => s is >= 400 and < 500) >= 3, string.Join(", ", byStatus));

        // Only what was accepted reached the queue, each accepted order once.
        var published = new List<string>();
        for (var empty = 0; empty < 3;)
        {
            var received = await infra.SqsClient.ReceiveMessageAsync(
                new ReceiveMessageRequest { QueueUrl = queue, MaxNumberOfMessages = 10, WaitTimeSeconds = 1 },
                cancellation);
            if (received.Messages is not { Count: > 0 } messages)
            {
                empty++;
                continue;
            }
            // Received messages stay invisible for the queue's 30 s visibility timeout, longer than this loop: each is counted once.
            published.AddRange(messages.Select(m => JsonSerializer.Deserialize(m.Body, EventJsonContext.Default.OrderCreated)!.OrderId));
        }
        Assert.Equal(byStatus.GetValueOrDefault(202), published.Count);
        Assert.Subset(accepted, published.ToHashSet(StringComparer.Ordinal));

        // And it is still healthy, with its dependencies.
        using var health = await client.GetAsync("/health", cancellation);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal("Healthy", await health.Content.ReadAsStringAsync(cancellation));
        using var valid = await client.PostAsync(
            "/api/orders",
            new StringContent(ValidOrder, Encoding.UTF8, new MediaTypeHeaderValue("application/json")),
            cancellation);
        Assert.Equal(HttpStatusCode.Accepted, valid.StatusCode);
    }
}
