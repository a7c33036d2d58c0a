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
    private const string Bearer = "bearer";
    private const string PrimaryErrorMessage = "x-ms-primary-error-message";
    private const string TraceId = "trace_id";

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

        // Every response each operation can give, errors as problem+json only, each with an example.
        Assert.Equal(
            ["202", "400", "401", "403", "413", "415", "422", "503"],
            contract.Operation("post", Orders)["responses"]!.AsObject().Select(r => r.Key).Order());
        Assert.Equal(["200", "401", "404", "503"], contract.Operation("get", Order)["responses"]!.AsObject().Select(r => r.Key).Order());
        foreach (var (method, path) in new[] { ("post", Orders), ("get", Order) })
        {
            foreach (var (status, response) in contract.Operation(method, path)["responses"]!.AsObject())
            {
                var content = response!["content"]!.AsObject();
                Assert.Equal([status.StartsWith('2') ? Json : ProblemJson], content.Select(c => c.Key));
                Assert.True(
                    content.Single().Value!["example"] is not null || content.Single().Value!["examples"] is not null,
                    $"{method} {path} {status} has no example");
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
    public async Task The_problem_schemas_name_trace_id_which_every_problem_answer_carries()
    {
        await using var api = new ServiceFactory<OrderQueries>(infra.ServiceSettings());
        using var client = api.CreateClient();
        var contract = await OpenApiContract.FetchAsync(client, Cancellation);

        // HttpValidationProblemDetails (400) is not an allOf of ProblemDetails: each names it.
        foreach (var name in new[] { "ProblemDetails", "HttpValidationProblemDetails" })
        {
            var schema = contract.ComponentSchema(name);
            var traceId = schema["properties"]?[TraceId];
            Assert.True(traceId is not null, $"{name} does not name {TraceId}");
            Assert.Equal("string", (string)traceId!["type"]!);
        }
        // And the real answers do carry it (every problem answer in the tests below is checked for it, as Accept allows).
        using var problem = await SendAsync(client, HttpMethod.Get, $"{Orders}/not-a-uuid");
        Assert.NotNull((string?)JsonNode.Parse(await problem.Content.ReadAsStringAsync(Cancellation))![TraceId]);
    }

    [Fact]
    public async Task The_order_status_is_one_named_schema_that_both_answers_reference()
    {
        await using var api = new ServiceFactory<OrderQueries>(infra.ServiceSettings());
        using var client = api.CreateClient();
        var contract = await OpenApiContract.FetchAsync(client, Cancellation);

        var status = contract.Document["components"]?["schemas"]?["OrderStatus"];
        Assert.True(status is not null, "no OrderStatus schema");
        Assert.Equal("string", (string)status!["type"]!);
        Assert.Equal(OrderRules.StatusValues, Strings(status["enum"]));
        foreach (var owner in new[] { "PlaceOrderResponse", "OrderView" })
        {
            // A bare reference: a description beside it would be taken by Kiota as the enum's own (the first one it meets).
            Assert.Equal("""{"$ref":"#/components/schemas/OrderStatus"}""", contract.ComponentSchema(owner)["properties"]!["status"]!.ToJsonString());
        }
        // An order just accepted is PENDING, as the 202's schema says.
        Assert.Contains(
            $"always {OrderRules.AcceptedStatus}",
            (string)contract.ComponentSchema("PlaceOrderResponse")["description"]!,
            StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_problem_schema_names_its_primary_error_message_for_generated_exceptions()
    {
        await using var api = new ServiceFactory<OrderQueries>(infra.ServiceSettings());
        using var client = api.CreateClient();
        var contract = await OpenApiContract.FetchAsync(client, Cancellation);

        // Kiota makes an error schema's property marked x-ms-primary-error-message the exception's Message; title is in every problem answer.
        foreach (var name in new[] { "ProblemDetails", "HttpValidationProblemDetails" })
        {
            var schema = contract.ComponentSchema(name);
            var marked = schema["properties"]!.AsObject().Where(p => p.Value?[PrimaryErrorMessage] is JsonValue value && (bool)value).Select(p => p.Key);
            Assert.Equal(["title"], marked);
            Assert.Contains("title", Strings(schema["required"]));
        }
    }

    /// <summary>
    /// The bearer scheme as the Api enforces it: open (no Auth:Authority, no API Gateway claims) it requires and reads no
    /// token, so its operations carry no requirement; checking JWTs itself, or trusting API Gateway's authorizer, both
    /// operations require the bearer token, and the Api answers 401 and 403 as documented.
    /// </summary>
    [Fact]
    public async Task The_bearer_scheme_is_documented_and_required_exactly_where_the_api_enforces_it()
    {
        const string order = """{"customer_id":"contract","items":[{"product_id":"SKU-1001","quantity":1}]}""";
        var (queue, _) = await infra.CreateQueuePairAsync("contract-auth");

        await using (var open = new ServiceFactory<OrderQueries>(infra.ServiceSettings(queue)))
        {
            using var client = open.CreateClient();
            var contract = await OpenApiContract.FetchAsync(client, Cancellation);
            var scheme = contract.Document["components"]?["securitySchemes"]?[Bearer];
            Assert.True(scheme is not null, "no bearer security scheme");
            Assert.Equal("http", (string)scheme!["type"]!);
            Assert.Equal("bearer", (string)scheme["scheme"]!);
            Assert.Equal("JWT", (string)scheme["bearerFormat"]!);
            Assert.Contains("Auth:Authority", (string)scheme["description"]!, StringComparison.Ordinal);
            Assert.Null(contract.Document["security"]);
            Assert.Null(contract.Operation("post", Orders)["security"]);
            Assert.Null(contract.Operation("get", Order)["security"]);
            await AssertDocumentedAsync(contract, "post", Orders, await SendAsync(client, HttpMethod.Post, Orders, order), 202);
        }

        await using (var checksJwts = new ServiceFactory<OrderQueries>(infra.ServiceSettings(queue)
            .With(("Auth:Authority", "https://issuer.example/"), ("Auth:Audience", "orders-api"))))
        {
            using var client = checksJwts.CreateClient();
            var contract = await OpenApiContract.FetchAsync(client, Cancellation);
            Assert.Equal("""[{"bearer":[]}]""", contract.Operation("post", Orders)["security"]?.ToJsonString());
            Assert.Equal("""[{"bearer":[]}]""", contract.Operation("get", Order)["security"]?.ToJsonString());
            using var refused = await SendAsync(client, HttpMethod.Post, Orders, order);
            Assert.Equal("Bearer", Assert.Single(refused.Headers.WwwAuthenticate).Scheme);
            await AssertDocumentedAsync(contract, "post", Orders, refused, 401);
            await AssertDocumentedAsync(contract, "get", Order, await SendAsync(client, HttpMethod.Get, $"{Orders}/{Guid.NewGuid()}"), 401);
        }

        await using (var behindGateway = new ServiceFactory<OrderQueries>(infra.ServiceSettings(queue).With(("Auth:TrustApiGatewayClaims", "true"))))
        {
            using var client = behindGateway.CreateClient();
            var contract = await OpenApiContract.FetchAsync(client, Cancellation);
            Assert.Equal("""[{"bearer":[]}]""", contract.Operation("post", Orders)["security"]?.ToJsonString());
            Assert.Equal("""[{"bearer":[]}]""", contract.Operation("get", Order)["security"]?.ToJsonString());
            var claims = """{"authorizer":{"jwt":{"claims":{"sub":"someone-else"}}}}""";
            await AssertDocumentedAsync(contract, "post", Orders,
                await SendAsync(client, HttpMethod.Post, Orders, order, headers: [("x-amzn-request-context", claims)]),
                403);
        }
    }

    [Fact]
    public async Task The_document_warns_that_retrying_an_unkeyed_post_on_503_can_make_a_second_order()
    {
        await using var api = new ServiceFactory<OrderQueries>(infra.ServiceSettings());
        using var client = api.CreateClient();
        var contract = await OpenApiContract.FetchAsync(client, Cancellation);

        // Standard retry middleware (Kiota's RetryHandler, the standard resilience handler) resends a POST on 503 by itself.
        var unavailable = (string)contract.Response("post", Orders, 503)!["description"]!;
        Assert.Contains("RetryHandler", unavailable, StringComparison.Ordinal);
        Assert.Contains("AddStandardResilienceHandler", unavailable, StringComparison.Ordinal);
        Assert.Contains("second order", unavailable, StringComparison.Ordinal);
        Assert.Contains("Idempotency-Key", unavailable, StringComparison.Ordinal);
        // The recommendation, where a client developer reads: the operation and the parameter.
        Assert.Contains("Send an Idempotency-Key with every POST", (string)contract.Operation("post", Orders)["description"]!, StringComparison.Ordinal);
        Assert.Contains("Send one with every POST", (string)contract.Parameter("post", Orders, KeyHeader)["description"]!, StringComparison.Ordinal);
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
                Assert.True(
                    bodyProblem is null && keyProblem is null && !OrderBodies.HasRepeatedProduct(body),
                    $"accepted, but the document says: {bodyProblem} {keyProblem}");
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
        var placed = await AssertDocumentedAsync(contract, "post", Orders, accepted, 202);
        var orderId = (string)placed!["order_id"]!;
        Assert.Equal(OrderRules.AcceptedStatus, (string?)placed["status"]);
        string[] statuses = ["PENDING", "PROCESSED", "FAILED"];
        foreach (var status in statuses)
        {
            var id = Guid.CreateVersion7().ToString();
            await using var connection = new MySqlConnection(infra.Database.ConnectionString);
            await connection.ExecuteAsync(
                "INSERT INTO orders (order_id, customer_id, items, status, failure_reason, created_at, processed_at)"
                    + " VALUES (@id, 'contract', '[{\"product_id\":\"SKU-1001\",\"quantity\":2}]',"
                    + " @status, @reason, UTC_TIMESTAMP(6), @processed)",
                new { id, status, reason = status == "FAILED" ? "unknown product: SKU-1001" : null,
                    processed = status == "PENDING" ? (DateTime?)null : DateTime.UtcNow });
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
        await AssertDocumentedAsync(contract, "post", Orders,
            await SendAsync(client, HttpMethod.Post, Orders, """{"customer_id":"","items":[],"coupon":1}"""), 400);
        await AssertDocumentedAsync(contract, "post", Orders,
            await SendAsync(client, HttpMethod.Post, Orders, new string(' ', OrderRules.MaxBodyBytes + 1)), 413);
        await AssertDocumentedAsync(contract, "post", Orders, await SendAsync(client, HttpMethod.Post, Orders, "{}", "text/plain"), 415);
        await AssertDocumentedAsync(contract, "post", Orders, await SendAsync(client, HttpMethod.Post, Orders, "{}", "application/json; charset=utf-16"), 415);
        // Problems stay problem+json when the client asks for something else (the framework's own 415 fell back to text/plain).
        await AssertDocumentedAsync(contract, "post", Orders,
            await SendAsync(client, HttpMethod.Post, Orders, "{}", "text/plain", accept: "application/xml"), 415);
        await AssertDocumentedAsync(contract, "post", Orders, await SendAsync(client, HttpMethod.Post, Orders, "[]", accept: "text/html"), 400);
        await AssertDocumentedAsync(contract, "get", Order,
            await SendAsync(client, HttpMethod.Get, $"{Orders}/{Guid.NewGuid()}", accept: "application/xml"), 404);

        // 422: a key used again with another order, naming the first (Location and order_id).
        var key = $"contract-{Guid.NewGuid():N}";
        var first = await AssertDocumentedAsync(contract, "post", Orders,
            await SendAsync(client, HttpMethod.Post, Orders,
                """{"customer_id":"contract","items":[{"product_id":"SKU-1001","quantity":1}]}""", key: key),
            202);
        var reused = await AssertDocumentedAsync(contract, "post", Orders,
            await SendAsync(client, HttpMethod.Post, Orders,
                """{"customer_id":"contract","items":[{"product_id":"SKU-1001","quantity":2}]}""", key: key),
            422);
        Assert.Equal((string)first!["order_id"]!, (string)reused!["order_id"]!);

        // 503 whose outcome is unknown: the queue takes the request and never answers; order_id and Location name the order.
        await using (var silent = new SilentTcpListener())
        {
            await using var unanswered = new ServiceFactory<OrderQueries>(infra.ServiceSettings().With(
                ("AWS:ServiceURL", silent.Url.ToString().TrimEnd('/')), ("Queues:OrderCreated", new Uri(silent.Url, "/000000000000/order-created").ToString()),
                ("Publishing:AttemptTimeout", "00:00:00.5"), ("Publishing:Budget", "00:00:01.5")));
            using var unansweredClient = unanswered.CreateClient();
            var unknown = await AssertDocumentedAsync(contract, "post", Orders,
                await SendAsync(unansweredClient, HttpMethod.Post, Orders,
                    """{"customer_id":"contract","items":[{"product_id":"SKU-1001","quantity":1}]}"""),
                503);
            Assert.NotNull((string?)unknown!["order_id"]);
            var keyedUnknown = await AssertDocumentedAsync(contract, "post", Orders,
                await SendAsync(unansweredClient, HttpMethod.Post, Orders,
                    """{"customer_id":"contract","items":[{"product_id":"SKU-1001","quantity":1}]}""",
                    key: $"contract-{Guid.NewGuid():N}"),
                503);
            Assert.NotNull((string?)keyedUnknown!["order_id"]);
        }

        // 503 from each operation: the queue unreachable for POST, the database for GET.
        await using var down = new ServiceFactory<OrderQueries>(infra.ServiceSettings().With(
            ("AWS:ServiceURL", "http://127.0.0.1:1"), ("Queues:OrderCreated", "http://127.0.0.1:1/000000000000/order-created"),
            ("ConnectionStrings:orders", "Server=127.0.0.1;Port=1;User ID=x;Password=y;Database=orders;Connection Timeout=2")));
        using var downClient = down.CreateClient();
        await AssertDocumentedAsync(contract, "post", Orders,
            await SendAsync(downClient, HttpMethod.Post, Orders,
                """{"customer_id":"c","items":[{"product_id":"SKU-1001","quantity":1}]}"""),
            503);
        await AssertDocumentedAsync(contract, "post", Orders,
            await SendAsync(downClient, HttpMethod.Post, Orders,
                """{"customer_id":"c","items":[{"product_id":"SKU-1001","quantity":1}]}""", key: "k-1"),
            503);
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
            Assert.True(
                OrderBodies.HasRepeatedProduct(body),
                $"the Api refuses {text} ({string.Join("; ", errors.Select(e => $"{e.Key}: {string.Join(", ", e.Value)}"))})"
                    + ", the document accepts it");
            Assert.All(errors, e => Assert.Matches(@"^items\[\d+\]\.product_id$", e.Key));
            Assert.All(errors.SelectMany(e => e.Value), message => Assert.StartsWith("repeats the product", message, StringComparison.Ordinal));
        }
    }

    /// <summary>
    /// The response is one the document declares for the operation, in a declared media type, with its required headers,
    /// valid against its schemas.
    /// </summary>
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
            if (mediaType == ProblemJson)
            {
                // The framework's problem writer adds the trace id; where Accept rules JSON out, the problem is written without it.
                var accept = response.RequestMessage!.Headers.Accept;
                Assert.Equal(accept.Count == 0 || accept.Any(a => a.MediaType is "application/json" or "*/*"), body![TraceId] is not null);
                AssertIsAnExample(documented["content"]![mediaType]!, body, $"{method} {path} {expected}");
            }
            foreach (var (name, header) in documented["headers"]?.AsObject() ?? [])
            {
                var value = response.Headers.TryGetValues(name, out var values) ? values.Single() : null;
                Assert.True(value is not null || !(bool)(header!["required"] ?? false), $"{expected} without its required {name} header");
                if (value is not null)
                {
                    var schema = contract.Build(header!["schema"]!);
                    JsonNode instance = (string?)header["schema"]!["type"] == "integer"
                        && long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number)
                        ? JsonValue.Create(number)
                        : JsonValue.Create(value);
                    Assert.Null(OpenApiContract.Check(schema, instance));
                }
            }
            return body;
        }
    }

    /// <summary>
    /// A real problem answer equals one of its response's examples, but for what varies from answer to answer: the
    /// trace id, order ids, and which fields a 400's errors name (they depend on the body sent; the schema checks their form).
    /// </summary>
    private static void AssertIsAnExample(JsonNode mediaType, JsonNode? answer, string what)
    {
        var examples = (mediaType["examples"]?.AsObject().Select(e => e.Value!["value"]) ?? []).Append(mediaType["example"]).OfType<JsonNode>().ToList();
        var normalized = Normalized(answer);
        Assert.True(examples.Any(example => JsonNode.DeepEquals(Normalized(example), normalized)),
            $"{what}: the answer {answer?.ToJsonString()} is none of the documented examples: {string.Join(" | ", examples.Select(e => e.ToJsonString()))}");
    }

    private static JsonNode? Normalized(JsonNode? problem)
    {
        var copy = problem?.DeepClone();
        if (copy is JsonObject obj)
        {
            // Each answer has its own (and none where Accept rules JSON out): checked apart.
            obj.Remove(TraceId);
            if (obj.ContainsKey("errors"))
            {
                obj["errors"] = new JsonObject();
            }
        }
        return ReplaceIds(copy);
    }

    private static JsonNode? ReplaceIds(JsonNode? node) => node switch
    {
        JsonObject obj => new JsonObject(obj.Select(p => KeyValuePair.Create(p.Key, ReplaceIds(p.Value)))),
        JsonArray array => new JsonArray([.. array.Select(ReplaceIds)]),
        JsonValue value when value.GetValueKind() == System.Text.Json.JsonValueKind.String =>
            JsonValue.Create(System.Text.RegularExpressions.Regex.Replace(
                (string)value!, "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "{uuid}")),
        _ => node?.DeepClone(),
    };

    private static async Task<HttpResponseMessage> SendAsync(HttpClient client, HttpMethod method, string path,
        string? body = null, string contentType = Json, string? accept = null, string? key = null,
        (string Name, string Value)[]? headers = null)
    {
        using var request = new HttpRequestMessage(method, path);
        foreach (var (name, value) in headers ?? [])
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }
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
