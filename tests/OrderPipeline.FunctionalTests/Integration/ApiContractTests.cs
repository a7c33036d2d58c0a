using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using CsCheck;
using Dapper;
using MySqlConnector;
using OrderPipeline.Api.Orders;
using OrderPipeline.Tests.Shared;
using OrderPipeline.FunctionalTests.Support;

namespace OrderPipeline.FunctionalTests.Integration;

/// <summary>
/// The OpenAPI document the Api serves is its contract: these tests hold the real Api's answers and the bodies it
/// refuses or accepts against that document, judged by an independent JSON Schema validator, so the two cannot drift.
/// </summary>
[Collection(InfrastructureCollection.Name)]
public sealed class ApiContractTests(InfrastructureFixture infra)
{
    private const string Orders = "/api/orders";
    private const string Order = "/api/orders/{order_id}";
    private const string Json = "application/json";
    private const string ProblemJson = "application/problem+json";
    private const string KeyHeader = OrdersApi.IdempotencyKeyHeader;

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_document_states_every_rule_the_validator_enforces_and_every_response()
    {
        await using var api = new ServiceFactory<OrderQueries>(infra.ServiceSettings());
        using var client = api.CreateClient();
        var contract = await OpenApiContract.FetchAsync(client, Cancellation);

        var request = contract.ComponentSchema("PlaceOrderRequest");
        Assert.False((bool)request["additionalProperties"]!);
        Assert.Equal(["customer_id", "items"], Strings(request["required"]).Order());
        AssertIdentifier(request["properties"]!["customer_id"]!, OrderRules.MaxCustomerIdLength);
        var items = request["properties"]!["items"]!;
        Assert.Equal(OrderRules.MinItems, (int)items["minItems"]!);
        Assert.Equal(OrderRules.MaxItems, (int)items["maxItems"]!);
        // The one rule JSON Schema cannot state: said in words and in an extension a generator can read.
        Assert.Equal(["product_id"], Strings(items[OrdersApiDocument.UniqueItemPropertiesExtension]));
        Assert.Contains("never merged", (string)items["description"]!, StringComparison.Ordinal);

        var line = contract.ComponentSchema("OrderLine");
        Assert.False((bool)line["additionalProperties"]!);
        Assert.Equal(["product_id", "quantity"], Strings(line["required"]).Order());
        AssertIdentifier(line["properties"]!["product_id"]!, OrderRules.MaxProductIdLength);
        var quantity = line["properties"]!["quantity"]!;
        Assert.Equal("integer", (string)quantity["type"]!);
        Assert.Equal(OrderRules.MinQuantity, (int)quantity["minimum"]!);
        Assert.Equal(OrderRules.MaxQuantity, (int)quantity["maximum"]!);

        var key = contract.Parameter("post", Orders, KeyHeader)["schema"]!;
        Assert.Equal(1, (int)key["minLength"]!);
        Assert.Equal(OrderRules.MaxIdempotencyKeyLength, (int)key["maxLength"]!);
        Assert.NotNull((string?)key["pattern"]);
        Assert.Equal(OrderRules.MaxBodyBytes, (int)contract.Operation("post", Orders)[OrdersApiDocument.MaxBodyBytesExtension]!);

        Assert.Equal("uuid", (string)contract.Parameter("get", Order, "order_id")["schema"]!["format"]!);
        Assert.Equal("uuid", (string)contract.ComponentSchema("PlaceOrderResponse")["properties"]!["order_id"]!["format"]!);
        Assert.Equal(["PENDING"], Strings(contract.ComponentSchema("PlaceOrderResponse")["properties"]!["status"]!["enum"]));
        Assert.Equal(["PENDING", "PROCESSED", "FAILED"], Strings(contract.ComponentSchema("OrderView")["properties"]!["status"]!["enum"]));

        // Every response each operation can give, errors as problem+json only, each with an example.
        Assert.Equal(["202", "400", "401", "403", "413", "415", "422", "503"], contract.Operation("post", Orders)["responses"]!.AsObject().Select(r => r.Key).Order());
        Assert.Equal(["200", "401", "404", "503"], contract.Operation("get", Order)["responses"]!.AsObject().Select(r => r.Key).Order());
        foreach (var (method, path) in new[] { ("post", Orders), ("get", Order) })
        {
            foreach (var (status, response) in contract.Operation(method, path)["responses"]!.AsObject())
            {
                var content = response!["content"]!.AsObject();
                Assert.Equal([status.StartsWith('2') ? Json : ProblemJson], content.Select(c => c.Key));
                Assert.True(content.Single().Value!["example"] is not null || content.Single().Value!["examples"] is not null, $"{method} {path} {status} has no example");
            }
        }
        AssertHeader(contract.Response("post", Orders, 202)!, "Location", required: true);
        AssertHeader(contract.Response("post", Orders, 422)!, "Location", required: true);
        AssertHeader(contract.Response("post", Orders, 503)!, "Retry-After", required: true);
        AssertHeader(contract.Response("post", Orders, 503)!, "Location", required: false);
        AssertHeader(contract.Response("get", Order, 404)!, "Retry-After", required: false);
        AssertHeader(contract.Response("get", Order, 503)!, "Retry-After", required: true);
        Assert.Contains("order_id", Strings(contract.Response("post", Orders, 422)!["content"]![ProblemJson]!["schema"]!["required"]));
    }

    [Fact]
    public async Task Every_example_in_the_document_is_valid_against_its_own_schema()
    {
        await using var api = new ServiceFactory<OrderQueries>(infra.ServiceSettings());
        using var client = api.CreateClient();
        var contract = await OpenApiContract.FetchAsync(client, Cancellation);

        var checkedExamples = 0;
        foreach (var (method, path) in new[] { ("post", Orders), ("get", Order) })
        {
            var operation = contract.Operation(method, path);
            var mediaTypes = (operation["responses"]!.AsObject().Select(r => r.Value!["content"]))
                .Append(operation["requestBody"]?["content"])
                .OfType<JsonObject>().SelectMany(content => content.Select(c => c.Value!.AsObject()));
            foreach (var mediaType in mediaTypes)
            {
                var schema = contract.Build(mediaType["schema"]!);
                var examples = (mediaType["examples"]?.AsObject().Select(e => e.Value!["value"]) ?? []).Append(mediaType["example"]).OfType<JsonNode>();
                foreach (var example in examples)
                {
                    Assert.Null(OpenApiContract.Check(schema, example));
                    checkedExamples++;
                }
            }
            foreach (var parameter in operation["parameters"]!.AsArray().OfType<JsonObject>().Where(p => p["example"] is not null))
            {
                Assert.Null(OpenApiContract.Check(contract.Build(parameter["schema"]!), parameter["example"]));
                checkedExamples++;
            }
        }
        foreach (var (name, schema) in contract.Document["components"]!["schemas"]!.AsObject())
        {
            foreach (var example in schema!["examples"]?.AsArray() ?? [])
            {
                Assert.Null(OpenApiContract.Check(contract.Build(new JsonObject { ["$ref"] = $"#/components/schemas/{name}" }), example));
                checkedExamples++;
            }
        }
        Assert.True(checkedExamples >= 12, $"only {checkedExamples} examples");
    }

    /// <summary>
    /// The key property: the generated bodies the Api refuses with 400 are exactly those the document's request schema
    /// finds invalid, but for the one rule JSON Schema cannot state (a product on two lines), which the document states
    /// in words; and a key is refused exactly when the Idempotency-Key parameter's schema finds it invalid.
    /// </summary>
    [Fact]
    public async Task Every_body_the_api_refuses_is_invalid_against_the_document_and_every_body_it_accepts_is_valid()
    {
        var (queue, _) = await infra.CreateQueuePairAsync("contract");
        await using var api = new ServiceFactory<OrderQueries>(infra.ServiceSettings(queue));
        using var client = api.CreateClient();
        var contract = await OpenApiContract.FetchAsync(client, Cancellation);
        var bodySchema = contract.RequestSchema("post", Orders);
        var keySchema = contract.ParameterSchema("post", Orders, KeyHeader);
        var acceptedSchema = contract.ResponseSchema("post", Orders, 202, Json);
        var refusedSchema = contract.ResponseSchema("post", Orders, 400, ProblemJson);

        // Through the validator alone, many samples: the document's schema and the validator agree.
        var verdicts = new int[2];
        Check.Sample(OrderBodies.Body, body =>
        {
            var (order, errors) = OrderValidator.Validate(Encoding.UTF8.GetBytes(body?.ToJsonString() ?? "null"));
            AssertSameVerdict(body, OpenApiContract.Check(bodySchema, body), order is not null, errors);
            verdicts[order is null ? 0 : 1]++;
        }, iter: 4000, threads: 1, print: b => b?.ToJsonString() ?? "null");
        Assert.True(verdicts.All(v => v > 400), $"refused {verdicts[0]}, accepted {verdicts[1]}: the generator must produce plenty of both");

        // Through the real Api over HTTP, with Idempotency-Key headers, and its answers against the document.
        var answers = new Dictionary<int, int>();
        await Check.SampleAsync(Gen.Select(OrderBodies.Body, OrderBodies.IdempotencyKey), async (body, key) =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, Orders)
            {
                Content = new StringContent(body?.ToJsonString() ?? "null", Encoding.UTF8, Json),
            };
            if (key is not null)
            {
                request.Headers.TryAddWithoutValidation(KeyHeader, key);
            }
            using var response = await client.SendAsync(request, Cancellation);
            var status = (int)response.StatusCode;
            answers[status] = answers.GetValueOrDefault(status) + 1;
            var answer = JsonNode.Parse(await response.Content.ReadAsStringAsync(Cancellation));
            var bodyProblem = OpenApiContract.Check(bodySchema, body);
            var keyProblem = key is null ? null : OpenApiContract.Check(keySchema, JsonValue.Create(key));
            if (status == 202)
            {
                Assert.True(bodyProblem is null && keyProblem is null && !OrderBodies.HasRepeatedProduct(body), $"accepted, but the document says: {bodyProblem} {keyProblem}");
                Assert.Null(OpenApiContract.Check(acceptedSchema, answer));
                Assert.Equal($"/api/orders/{answer!["order_id"]}", response.Headers.Location?.OriginalString);
                return;
            }
            Assert.True(status == 400, $"{status} {answer}");
            Assert.Equal(ProblemJson, response.Content.Headers.ContentType?.MediaType);
            Assert.Null(OpenApiContract.Check(refusedSchema, answer));
            var errors = answer!["errors"]!.AsObject().ToDictionary(e => e.Key, e => Strings(e.Value).ToArray());
            Assert.True((keyProblem is not null) == errors.Remove(KeyHeader), $"key {key}: the document says {keyProblem ?? "valid"}, the Api {answer}");
            AssertSameVerdict(body, bodyProblem, accepted: errors.Count == 0, errors);
        }, iter: 400, threads: 1, print: t => $"{t.Item1?.ToJsonString()} key={t.Item2}");
        Assert.True(answers.GetValueOrDefault(202) > 40 && answers.GetValueOrDefault(400) > 40, string.Join(", ", answers));
    }

    [Fact]
    public async Task Real_answers_are_the_documented_ones_with_their_headers_and_shapes()
    {
        var (queue, _) = await infra.CreateQueuePairAsync("contract-answers");
        await using var api = new ServiceFactory<OrderQueries>(infra.ServiceSettings(queue));
        using var client = api.CreateClient();
        var contract = await OpenApiContract.FetchAsync(client, Cancellation);

        // 202 with Location, and the order it names read back (200) once recorded, in each status.
        var accepted = await SendAsync(client, HttpMethod.Post, Orders, """{"customer_id":"contract","items":[{"product_id":"SKU-1001","quantity":2}]}""");
        var orderId = (string)(await AssertDocumentedAsync(contract, "post", Orders, accepted, 202))!["order_id"]!;
        string[] statuses = ["PENDING", "PROCESSED", "FAILED"];
        foreach (var status in statuses)
        {
            var id = Guid.CreateVersion7().ToString();
            await using var connection = new MySqlConnection(infra.Database.ConnectionString);
            await connection.ExecuteAsync(
                "INSERT INTO orders (order_id, customer_id, items, status, failure_reason, created_at, processed_at) VALUES (@id, 'contract', '[{\"product_id\":\"SKU-1001\",\"quantity\":2}]', @status, @reason, UTC_TIMESTAMP(6), @processed)",
                new { id, status, reason = status == "FAILED" ? "unknown product: SKU-1001" : null, processed = status == "PENDING" ? (DateTime?)null : DateTime.UtcNow });
            var found = await AssertDocumentedAsync(contract, "get", Order, await SendAsync(client, HttpMethod.Get, $"{Orders}/{id}"), 200);
            Assert.Equal(status, (string)found!["status"]!);
        }

        // 404: not a UUID (the document's format says so too), an old or foreign id, and one issued moments ago.
        Assert.NotNull(OpenApiContract.Check(contract.ParameterSchema("get", Order, "order_id"), JsonValue.Create("not-a-uuid")));
        await AssertDocumentedAsync(contract, "get", Order, await SendAsync(client, HttpMethod.Get, $"{Orders}/not-a-uuid"), 404);
        await AssertDocumentedAsync(contract, "get", Order, await SendAsync(client, HttpMethod.Get, $"{Orders}/{Guid.NewGuid()}"), 404);
        var recent = await SendAsync(client, HttpMethod.Get, $"{Orders}/{Guid.CreateVersion7()}");
        Assert.NotNull(recent.Headers.RetryAfter);
        await AssertDocumentedAsync(contract, "get", Order, recent, 404);

        // 400, 413, 415.
        await AssertDocumentedAsync(contract, "post", Orders, await SendAsync(client, HttpMethod.Post, Orders, """{"customer_id":"","items":[],"coupon":1}"""), 400);
        await AssertDocumentedAsync(contract, "post", Orders, await SendAsync(client, HttpMethod.Post, Orders, new string(' ', OrderRules.MaxBodyBytes + 1)), 413);
        await AssertDocumentedAsync(contract, "post", Orders, await SendAsync(client, HttpMethod.Post, Orders, "{}", "text/plain"), 415);
        await AssertDocumentedAsync(contract, "post", Orders, await SendAsync(client, HttpMethod.Post, Orders, "{}", "application/json; charset=utf-16"), 415);
        // Problems stay problem+json when the client asks for something else (the framework's own 415 fell back to text/plain).
        await AssertDocumentedAsync(contract, "post", Orders, await SendAsync(client, HttpMethod.Post, Orders, "{}", "text/plain", accept: "application/xml"), 415);
        await AssertDocumentedAsync(contract, "post", Orders, await SendAsync(client, HttpMethod.Post, Orders, "[]", accept: "text/html"), 400);
        await AssertDocumentedAsync(contract, "get", Order, await SendAsync(client, HttpMethod.Get, $"{Orders}/{Guid.NewGuid()}", accept: "application/xml"), 404);

        // 422: a key used again with another order, naming the first (Location and order_id).
        var key = $"contract-{Guid.NewGuid():N}";
        var first = await AssertDocumentedAsync(contract, "post", Orders, await SendAsync(client, HttpMethod.Post, Orders, """{"customer_id":"contract","items":[{"product_id":"SKU-1001","quantity":1}]}""", key: key), 202);
        var reused = await AssertDocumentedAsync(contract, "post", Orders, await SendAsync(client, HttpMethod.Post, Orders, """{"customer_id":"contract","items":[{"product_id":"SKU-1001","quantity":2}]}""", key: key), 422);
        Assert.Equal((string)first!["order_id"]!, (string)reused!["order_id"]!);

        // 503 whose outcome is unknown: the queue takes the request and never answers; order_id and Location name the order.
        await using (var silent = new SilentTcpListener())
        {
            await using var unanswered = new ServiceFactory<OrderQueries>(infra.ServiceSettings().With(
                ("AWS:ServiceURL", silent.Url.ToString().TrimEnd('/')), ("Queues:OrderCreated", new Uri(silent.Url, "/000000000000/order-created").ToString()),
                ("Publishing:AttemptTimeout", "00:00:00.5"), ("Publishing:Budget", "00:00:01.5")));
            using var unansweredClient = unanswered.CreateClient();
            var unknown = await AssertDocumentedAsync(contract, "post", Orders, await SendAsync(unansweredClient, HttpMethod.Post, Orders, """{"customer_id":"contract","items":[{"product_id":"SKU-1001","quantity":1}]}"""), 503);
            Assert.NotNull((string?)unknown!["order_id"]);
        }

        // 503 from each operation: the queue unreachable for POST, the database for GET.
        await using var down = new ServiceFactory<OrderQueries>(infra.ServiceSettings().With(
            ("AWS:ServiceURL", "http://127.0.0.1:1"), ("Queues:OrderCreated", "http://127.0.0.1:1/000000000000/order-created"),
            ("ConnectionStrings:orders", "Server=127.0.0.1;Port=1;User ID=x;Password=y;Database=orders;Connection Timeout=2")));
        using var downClient = down.CreateClient();
        await AssertDocumentedAsync(contract, "post", Orders, await SendAsync(downClient, HttpMethod.Post, Orders, """{"customer_id":"c","items":[{"product_id":"SKU-1001","quantity":1}]}"""), 503);
        await AssertDocumentedAsync(contract, "get", Order, await SendAsync(downClient, HttpMethod.Get, $"{Orders}/{orderId}"), 503);
    }

    /// <summary>The Api's verdict on a body (accepted, or refused with these errors) is the document's.</summary>
    private static void AssertSameVerdict(JsonNode? body, string? schemaProblem, bool accepted, IReadOnlyDictionary<string, string[]> errors)
    {
        var text = body?.ToJsonString() ?? "null";
        if (accepted)
        {
            Assert.True(schemaProblem is null, $"the Api accepts {text}, the document refuses it: {schemaProblem}");
            Assert.False(OrderBodies.HasRepeatedProduct(body), $"the Api accepts a repeated product: {text}");
            return;
        }
        Assert.NotEmpty(errors);
        if (schemaProblem is null)
        {
            // Valid against the schema yet refused: only for the rule the document states in words, and only on that.
            Assert.True(OrderBodies.HasRepeatedProduct(body), $"the Api refuses {text} ({string.Join("; ", errors.Select(e => $"{e.Key}: {string.Join(", ", e.Value)}"))}), the document accepts it");
            Assert.All(errors, e => Assert.Matches(@"^items\[\d+\]\.product_id$", e.Key));
            Assert.All(errors.SelectMany(e => e.Value), message => Assert.StartsWith("repeats the product", message, StringComparison.Ordinal));
        }
    }

    /// <summary>The response is one the document declares for the operation, in a declared media type, with its required headers, valid against its schemas.</summary>
    private static async Task<JsonNode?> AssertDocumentedAsync(OpenApiContract contract, string method, string path, HttpResponseMessage response, int expected)
    {
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(Cancellation);
            Assert.True(expected == (int)response.StatusCode, $"{method} {path}: expected {expected}, got {(int)response.StatusCode} {text}");
            var documented = contract.Response(method, path, expected);
            Assert.NotNull(documented);
            var mediaType = response.Content.Headers.ContentType?.MediaType!;
            var body = JsonNode.Parse(text);
            Assert.Null(OpenApiContract.Check(contract.ResponseSchema(method, path, expected, mediaType), body));
            foreach (var (name, header) in documented["headers"]?.AsObject() ?? [])
            {
                var value = response.Headers.TryGetValues(name, out var values) ? values.Single() : null;
                Assert.True(value is not null || !(bool)(header!["required"] ?? false), $"{expected} without its required {name} header");
                if (value is not null)
                {
                    var schema = contract.Build(header!["schema"]!);
                    JsonNode instance = (string?)header["schema"]!["type"] == "integer" && long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number)
                        ? JsonValue.Create(number)
                        : JsonValue.Create(value);
                    Assert.Null(OpenApiContract.Check(schema, instance));
                }
            }
            return body;
        }
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient client, HttpMethod method, string path, string? body = null, string contentType = Json, string? accept = null, string? key = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (key is not null)
        {
            request.Headers.Add(KeyHeader, key);
        }
        if (accept is not null)
        {
            request.Headers.TryAddWithoutValidation("Accept", accept);
        }
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8);
            request.Content.Headers.Remove("Content-Type");
            request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        }
        return await client.SendAsync(request, Cancellation);
    }

    private static void AssertIdentifier(JsonNode schema, int maxLength)
    {
        Assert.Equal("string", (string)schema["type"]!);
        Assert.Equal(1, (int)schema["minLength"]!);
        Assert.Equal(maxLength, (int)schema["maxLength"]!);
        Assert.Equal(ContractPatterns.Identifier(maxLength), (string)schema["pattern"]!);
    }

    private static void AssertHeader(JsonNode response, string name, bool required)
    {
        var header = response["headers"]?[name];
        Assert.True(header is not null, $"no {name} header documented");
        Assert.Equal(required, (bool)(header!["required"] ?? false));
    }

    private static IEnumerable<string> Strings(JsonNode? array) => array?.AsArray().Select(v => (string)v!) ?? [];
}
