using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;
using OrderPipeline.Api.Admission;
using OrderPipeline.Api.Authentication;
using OrderPipeline.Api.Idempotency;
using OrderPipeline.Messaging.Events;

namespace OrderPipeline.Api.Orders;

/// <summary>
/// The Orders API's OpenAPI description, as served at <c>/openapi/v1.json</c>: the document is the contract, so it states
/// every rule <see cref="OrderValidator"/> enforces (from <see cref="OrderRules"/> and <see cref="ContractPatterns"/>,
/// never restated by hand) and every response each operation can give, with its problem+json shape and examples. The
/// examples are the Api's own answers: the results the handlers return (<see cref="OrderProblems"/>,
/// <see cref="OrdersApi.Accepted"/>), written out by the Api's own services, so they cannot drift from what it answers.
/// </summary>
/// <remarks>
/// Schema transformers shape the types (by CLR type, so a renamed component cannot slip past), operation transformers
/// add what the handlers' signatures cannot say (headers, examples, the rules JSON Schema cannot express), and a document
/// transformer adds the schemas no CLR type carries (a problem naming an order, the order status both answers name).
/// </remarks>
public static class OrdersApiDocument
{
    public const string OrderProblemSchema = "OrderProblemDetails";
    public const string OrderStatusSchema = "OrderStatus";
    public const string BearerScheme = "bearer";
    public const string UniqueItemPropertiesExtension = "x-unique-item-properties";
    public const string MaxBodyBytesExtension = "x-max-body-bytes";
    public const string PrimaryErrorMessageExtension = "x-ms-primary-error-message";

    private const string Json = "application/json";
    private const string ProblemJson = "application/problem+json";
    private const string ExampleOrderId = "0193a5c2-7f3e-7b41-9c2d-5e8f1a2b3c4d";
    private const string ExampleTraceId = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

    public static OpenApiOptions AddOrdersContract(this OpenApiOptions options)
    {
        options.AddSchemaTransformer((schema, context, _) =>
        {
            // Property schemas are shaped by the type that owns them, where the rule for each property is known.
            if (context.JsonPropertyInfo is null)
            {
                ShapeType(context.JsonTypeInfo.Type, schema);
            }
            return Task.CompletedTask;
        });
        options.AddOperationTransformer(async (operation, context, _) =>
        {
            switch (operation.OperationId)
            {
                case OrdersApi.PlaceOrderOperation:
                    await DescribePlaceOrderAsync(operation, context.Document, context.ApplicationServices);
                    break;
                case OrdersApi.GetOrderOperation:
                    await DescribeGetOrderAsync(operation, context.ApplicationServices);
                    break;
            }
        });
        options.AddDocumentTransformer((document, context, _) =>
        {
            DescribeAuthentication(document, context.ApplicationServices.GetRequiredService<IOptions<AuthOptions>>().Value);
            document.Components ??= new OpenApiComponents();
            document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
            document.Components.Schemas[OrderProblemSchema] = new OpenApiSchema
            {
                Description = "A problem about one order: order_id names it (and Location, where sent, points at it).",
                AllOf = [new OpenApiSchemaReference(nameof(ProblemDetails), document)],
                Properties = new Dictionary<string, IOpenApiSchema> { [OrderProblems.OrderIdExtension] = OrderIdSchema("The order the problem is about.") },
            };
            // One status type, named, for the 202 and the 200 alike (a generated client gets one enum, not one per answer).
            document.Components.Schemas[OrderStatusSchema] = new OpenApiSchema
            {
                Type = JsonSchemaType.String,
                Enum = [.. OrderRules.StatusValues.Select(v => (JsonNode)JsonValue.Create(v))],
                Description = "An order's status: PENDING until the Processor settles the order as PROCESSED (stock taken) or FAILED (nothing taken).",
            };
            // What status means in each answer is said by the answer's schema: a description beside a $ref is taken by generators
            // (Kiota) as the referenced enum's own, so the first one met would document OrderStatus for both.
            StatusOf(document, nameof(PlaceOrderResponse),
                $"An accepted order: order_id names it, and its status is always {OrderRules.AcceptedStatus} (the Processor settles it shortly).");
            StatusOf(document, nameof(OrderView),
                "An order as recorded: its status is PENDING until the Processor settles it as PROCESSED (stock taken) or FAILED (see failure_reason).");
            return Task.CompletedTask;
        });
        return options;
    }

    /// <summary>
    /// The bearer scheme, always described; required by the operations only where the Api requires it, as
    /// <see cref="AuthenticationExtensions.AddCustomerAuthentication"/> decides from the same <see cref="AuthOptions"/>.
    /// </summary>
    private static void DescribeAuthentication(OpenApiDocument document, AuthOptions auth)
    {
        document.AddComponent(BearerScheme, new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            BearerFormat = "JWT",
            Description = "A JWT whose subject (sub) is the customer id: a signed-in customer places orders as itself and reads its own orders only. "
                + "Required only where the Api is configured to require it: with Auth:Authority the Api checks the token itself (signed by that OpenID Connect "
                + "issuer, for Auth:Audience); with Auth:TrustApiGatewayClaims, API Gateway's JWT authorizer checks it in front of the Api. With neither, "
                + "the Api is open: it asks for no token, reads none, and its operations carry no security requirement. "
                + (auth.RequiresToken ? "This Api requires it." : "This Api runs open."),
        });
        if (!auth.RequiresToken)
        {
            return;
        }
        foreach (var operation in document.Paths.Values.SelectMany(path => path.Operations?.Values.AsEnumerable() ?? []))
        {
            if (operation.OperationId is OrdersApi.PlaceOrderOperation or OrdersApi.GetOrderOperation)
            {
                operation.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(BearerScheme, document)] = [] }];
            }
        }
    }

    private static void ShapeType(Type type, OpenApiSchema schema)
    {
        if (type == typeof(PlaceOrderRequest))
        {
            schema.AdditionalPropertiesAllowed = false;
            Identifier(Property(schema, "customer_id"), OrderRules.MaxCustomerIdLength, "Who places the order.", "c-42");
            var items = Property(schema, "items");
            items.MinItems = OrderRules.MinItems;
            items.MaxItems = OrderRules.MaxItems;
            items.Description = $"{OrderRules.MinItems} to {OrderRules.MaxItems} lines, each product at most once: a product_id repeated on a later line "
                + "is refused with 400 on that line (items[i].product_id), never merged, as it more likely is a client's bug than an intent. "
                + $"JSON Schema cannot state this (uniqueItems compares whole lines); {UniqueItemPropertiesExtension} names the property that must be unique.";
            items.Extensions ??= new Dictionary<string, IOpenApiExtension>();
            items.Extensions[UniqueItemPropertiesExtension] = new JsonNodeExtension(new JsonArray("product_id"));
            schema.Examples = [ExampleOrder()];
        }
        else if (type == typeof(OrderLine))
        {
            schema.AdditionalPropertiesAllowed = false;
            Identifier(Property(schema, "product_id"), OrderRules.MaxProductIdLength, "The product, as in the inventory.", "SKU-1001");
            var quantity = Property(schema, "quantity");
            // Exactly an integer: the web defaults would also document "2" (a string), which the validator refuses.
            quantity.Type = JsonSchemaType.Integer;
            quantity.Pattern = null;
            quantity.Minimum = OrderRules.MinQuantity.ToString(System.Globalization.CultureInfo.InvariantCulture);
            quantity.Maximum = OrderRules.MaxQuantity.ToString(System.Globalization.CultureInfo.InvariantCulture);
            quantity.Description = $"A whole number from {OrderRules.MinQuantity} to {OrderRules.MaxQuantity} "
                + "(2.0 and 2e0 are whole numbers; 2.5 and \"2\" are refused).";
        }
        else if (type == typeof(PlaceOrderResponse))
        {
            schema.AdditionalPropertiesAllowed = false;
            ReplaceProperty(schema, "order_id", OrderIdSchema("The order's id: GET /api/orders/{order_id} follows it."));
        }
        else if (type == typeof(OrderView))
        {
            ReplaceProperty(schema, "order_id", OrderIdSchema("The order's id."));
            Property(schema, "failure_reason").Description = "Why the order FAILED (insufficient stock, unknown product); null otherwise.";
            Property(schema, "processed_at").Description = "When the order was settled; null while PENDING.";
        }
        else if (type == typeof(ProblemDetails) || type == typeof(HttpValidationProblemDetails))
        {
            // RFC 9457: the Api always sends status as a number and always a title.
            var status = Property(schema, "status");
            status.Type = JsonSchemaType.Integer;
            status.Pattern = null;
            var title = Property(schema, "title");
            title.Type = JsonSchemaType.String;
            // A generated client's exception message (Kiota reads this extension): the title, which every problem has (detail is
            // absent from the framework's own 401 and 415).
            title.Extensions ??= new Dictionary<string, IOpenApiExtension>();
            title.Extensions[PrimaryErrorMessageExtension] = new JsonNodeExtension(JsonValue.Create(true));
            schema.Required ??= new HashSet<string>();
            schema.Required.Add("status");
            schema.Required.Add("title");
            // Whoever wrote the problem (a handler or the framework), the framework's problem writer adds the request's trace id.
            schema.Properties![OrderProblems.TraceIdExtension] = new OpenApiSchema
            {
                Type = JsonSchemaType.String,
                Description = "The request's trace, as the Api's traces and logs name it: its W3C trace context (00-{trace id}-{span id}-{flags}), "
                    + "or the server's request id where the request is not traced. Quote it when reporting a problem. In every problem answer, "
                    + "unless the request's Accept header rules JSON out.",
            };
            if (type == typeof(HttpValidationProblemDetails))
            {
                schema.Required.Add("errors");
                Property(schema, "errors").Description = "Every problem in the request, by field: body, customer_id, items, items[i], "
                    + "items[i].product_id, items[i].quantity, "
                    + "an unknown field's path (coupon, items[0].colour) or Idempotency-Key; each with what is wrong with it.";
            }
        }
    }

    private static async Task DescribePlaceOrderAsync(OpenApiOperation operation, OpenApiDocument? document, IServiceProvider services)
    {
        var retention = services.GetRequiredService<IOptions<IdempotencyOptions>>().Value.KeyRetention;
        operation.Description =
            "Validates the order, publishes OrderCreated and answers 202 with the order id.\n\n"
            + "Send an Idempotency-Key with every POST: it is what makes a retry safe. A key names the order issued at its first use by this customer, "
            + $"for {Duration(retention)}: the same key and body answer with that same order, never a second one. Without a key, a POST sent again after "
            + $"its answer was lost (a timeout, a dropped connection) or after a 503 {OrderProblems.OutcomeUnknownType} can make a second order; "
            + "and a client's standard retry middleware sends it again by itself (see the 503 response).\n\n"
            + "Beyond the request schema: the body is UTF-8 JSON (Content-Type application/json, with no charset or charset=utf-8, else 415) "
            + $"of at most {OrderRules.MaxBodyBytes} bytes (else 413); invalid UTF-8, an escaped unpaired surrogate "
            + "or a property given twice is a 400 on body; "
            + "a product repeated on two lines is a 400 on the later line. All problems in one request are reported together.";
        operation.Extensions ??= new Dictionary<string, IOpenApiExtension>();
        operation.Extensions[MaxBodyBytesExtension] = new JsonNodeExtension(JsonValue.Create(OrderRules.MaxBodyBytes));

        var key = Parameter(operation, OrdersApi.IdempotencyKeyHeader);
        key.Description = $"Send one with every POST: it makes retries safe. 1 to {OrderRules.MaxIdempotencyKeyLength} "
            + "visible ASCII characters (a UUID will do), "
            + "a new one for each new order, kept with the body until the answer is a 202 or a 4xx. For "
            + $"{Duration(retention)} the same key and customer name the same order: sent again with the same body it answers with that order; "
            + "with a different body it is refused (422) and nothing is accepted.";
        key.Schema = new OpenApiSchema
        {
            Type = JsonSchemaType.String,
            MinLength = 1,
            MaxLength = OrderRules.MaxIdempotencyKeyLength,
            Pattern = ContractPatterns.IdempotencyKey,
        };
        key.Example = "7f0c2a";

        if (operation.RequestBody is OpenApiRequestBody body && body.Content?.TryGetValue(Json, out var request) == true)
        {
            body.Description = "The order. The rules the schema cannot state are in the operation's description.";
            request.Example = ExampleOrder();
        }

        var accepted = Response(operation, StatusCodes.Status202Accepted, "Accepted: OrderCreated is on the queue; the Processor settles the order shortly.");
        Header(accepted, "Location", required: true, "Where the order can be read: /api/orders/{order_id}.",
            new OpenApiSchema { Type = JsonSchemaType.String, Format = "uri-reference" });
        Example(accepted, Json, await AnswerAsync(OrdersApi.Accepted(ExampleOrderId), services));

        Example(Response(operation, StatusCodes.Status400BadRequest, "The order is not valid: errors names each bad field "
            + "and what is wrong with it."), ProblemJson,
            await AnswerAsync(OrderProblems.Invalid(OrderValidator.Validate(Encoding.UTF8.GetBytes(ExampleInvalidOrder().ToJsonString())).Errors), services));
        Example(Response(operation, StatusCodes.Status413PayloadTooLarge, $"The body is over {OrderRules.MaxBodyBytes} bytes."), ProblemJson,
            await AnswerAsync(OrderProblems.BodyTooLarge(), services));
        Examples(Response(operation, StatusCodes.Status415UnsupportedMediaType, "Not JSON (Content-Type is not application/json), "
            + "or JSON declared in a charset other than UTF-8."), ProblemJson,
            ("not-json", "Content-Type is not JSON (refused before the order is read)",
                await AnswerAsync(OrderProblems.ForStatus(StatusCodes.Status415UnsupportedMediaType), services)),
            ("no-content-type", "No Content-Type at all", await AnswerAsync(OrderProblems.UnsupportedMediaType(), services)),
            ("charset", "JSON declared in another charset than UTF-8",
                await AnswerAsync(OrderProblems.UnsupportedCharset(OrderValidator.CheckCharset("application/json; charset=utf-16")!), services)));

        await UnauthorizedAsync(operation, services);
        Example(Response(operation, StatusCodes.Status403Forbidden, "Signed in, but customer_id is not the bearer token's subject: "
            + "a customer places orders as itself only. An open Api never answers 403."), ProblemJson,
            await AnswerAsync(OrderProblems.NotYourCustomerId(), services));

        var conflict = Response(operation, StatusCodes.Status422UnprocessableEntity,
            "The Idempotency-Key was first used by this customer with a different order "
            + $"(type {OrderProblems.IdempotencyKeyReusedType}): nothing was accepted; "
            + "order_id and Location name that first order, which stands.");
        Header(conflict, "Location", required: true, "The first order placed with this key.",
            new OpenApiSchema { Type = JsonSchemaType.String, Format = "uri-reference" });
        SetSchema(conflict, ProblemJson, new OpenApiSchema
        {
            AllOf = [new OpenApiSchemaReference(OrderProblemSchema, document)],
            Required = new HashSet<string> { OrderProblems.OrderIdExtension },
        });
        Example(conflict, ProblemJson, await AnswerAsync(OrderProblems.IdempotencyKeyReused(new DefaultHttpContext(), ExampleOrderId), services));

        var unavailable = Response(operation, StatusCodes.Status503ServiceUnavailable,
            "Retry after Retry-After seconds, with the same Idempotency-Key. Four cases, by type: "
            + $"{OrderProblems.OrdersQueuedType}: more orders wait on the queue than the Api lets wait, nothing was accepted; "
            + $"{OrderProblems.NotAcceptedType}: the queue refused the order or could not be reached, nothing was accepted; "
            + $"{OrderProblems.OutcomeUnknownType}: the queue did not confirm the order in time, so it may have been accepted: order_id and Location name it; "
            + $"{OrderProblems.IdempotencyUnavailableType}: a keyed order could not reach the database that remembers keys, nothing was accepted.\n\n"
            + "A client's standard retry middleware sends this POST again on 503 by itself: Kiota's RetryHandler (in a generated client's default "
            + "handlers: 503, 504 and 429, up to 3 times, after Retry-After), the standard resilience handler of Microsoft.Extensions.Http.Resilience "
            + "(AddStandardResilienceHandler, which .NET Aspire's service defaults put on every HttpClient: 5xx, 408, 429, timeouts and failed "
            + "connections, every method), Polly retry pipelines. With an Idempotency-Key that is safe: the resend names the same order. Without one, "
            + $"a resend after {OrderProblems.OutcomeUnknownType} (the order may already be accepted) can make a second order. So send an "
            + "Idempotency-Key with every POST, or turn such retries off for POST (Kiota: RetryHandlerOption.ShouldRetry; the resilience handler: "
            + "Retry.DisableForUnsafeHttpMethods()).");
        RetryAfter(unavailable, required: true);
        Header(unavailable, "Location", required: false, "Where the order will be readable if it was accepted after all.",
            new OpenApiSchema { Type = JsonSchemaType.String, Format = "uri-reference" });
        SetSchema(unavailable, ProblemJson, new OpenApiSchemaReference(OrderProblemSchema, document));
        Examples(unavailable, ProblemJson,
            ("orders-queued", "Nothing was accepted: too many orders are waiting to be processed",
                await AnswerAsync(OrderProblems.OrdersQueued(new DefaultHttpContext(), new AdmissionOptions().RetryAfterSeconds), services)),
            ("not-accepted", "Nothing was accepted", await AnswerAsync(OrderProblems.NotAccepted(new DefaultHttpContext(), keyed: false), services)),
            ("not-accepted-with-key", "Nothing was accepted (an order with an Idempotency-Key)",
                await AnswerAsync(OrderProblems.NotAccepted(new DefaultHttpContext(), keyed: true), services)),
            ("outcome-unknown", "Maybe accepted (with Location): without an Idempotency-Key, a retry may make a second order",
                await AnswerAsync(OrderProblems.OutcomeUnknown(new DefaultHttpContext(), ExampleOrderId, keyed: false), services)),
            ("outcome-unknown-with-key", "Maybe accepted (with Location): with an Idempotency-Key, a retry names the same order",
                await AnswerAsync(OrderProblems.OutcomeUnknown(new DefaultHttpContext(), ExampleOrderId, keyed: true), services)),
            ("idempotency-unavailable", "Nothing was accepted: the Idempotency-Key could not be checked",
                await AnswerAsync(OrderProblems.IdempotencyUnavailable(new DefaultHttpContext()), services)));
    }

    private static async Task DescribeGetOrderAsync(OpenApiOperation operation, IServiceProvider services)
    {
        var id = Parameter(operation, "order_id");
        id.Description = "The order_id the 202 answered (a UUID). Anything that is not a UUID is a 404.";
        id.Schema = OrderIdSchema(null);
        id.Example = ExampleOrderId;

        var found = Response(operation, StatusCodes.Status200OK, "The order as recorded.");
        Example(found, Json, await AnswerAsync(TypedResults.Ok(new OrderView(
            ExampleOrderId,
            "c-42",
            OrderRules.StatusValues[(int)OrderStatus.Failed],
            [new OrderLine("SKU-1008", 9)],
            "insufficient stock: SKU-1008 (requested 9, available 5)",
            new DateTime(2026, 11, 29, 18, 0, 0, DateTimeKind.Utc).AddTicks(1_234_560),
            new DateTime(2026, 11, 29, 18, 0, 0, DateTimeKind.Utc).AddTicks(4_567_890))), services));

        await UnauthorizedAsync(operation, services);

        var notFound = Response(operation, StatusCodes.Status404NotFound,
            "No order with this id is recorded (for a signed-in customer: none of theirs). "
            + "If the id was issued in the last 15 minutes, or for an Idempotency-Key whose order is not recorded yet, "
            + $"the type is {OrderProblems.NotRecordedYetType} (title \"Order not recorded yet\") and Retry-After says when to look again.");
        RetryAfter(notFound, required: false);
        Examples(notFound, ProblemJson,
            ("not-recorded-yet", "Issued moments ago, still on its way (with Retry-After: 1)",
                await AnswerAsync(OrderProblems.RecentlyIssued(new DefaultHttpContext()), services)),
            ("issued-for-key", $"Issued for an Idempotency-Key whose order is not recorded (with Retry-After: {OrderProblems.RetryAfterSeconds})",
                await AnswerAsync(OrderProblems.IssuedForKey(new DefaultHttpContext()), services)),
            ("not-found", "No such order", await AnswerAsync(OrderProblems.NotFound(Guid.Parse(ExampleOrderId)), services)),
            ("not-an-order-id", "Not a UUID", await AnswerAsync(OrderProblems.NotAnOrderId(), services)));

        var unavailable = Response(operation, StatusCodes.Status503ServiceUnavailable,
            "The order database could not be reached; retry after Retry-After seconds.");
        RetryAfter(unavailable, required: true);
        Example(unavailable, ProblemJson, await AnswerAsync(OrderProblems.OrdersUnreadable(new DefaultHttpContext()), services));
    }

    /// <summary>Only when the Api requires a token (Auth:Authority, or behind API Gateway's authorizer): the framework's own 401.</summary>
    private static async Task UnauthorizedAsync(OpenApiOperation operation, IServiceProvider services) =>
        Example(Response(operation, StatusCodes.Status401Unauthorized, "No valid bearer token (the bearer security scheme), "
            + "where the Api requires one: Auth:Authority "
            + "is configured, or API Gateway's JWT authorizer is in front. An open Api never answers 401."), ProblemJson,
            await AnswerAsync(OrderProblems.ForStatus(StatusCodes.Status401Unauthorized), services));

    /// <summary>
    /// An answer as the Api writes it: the handler's result executed on a scratch request with the Api's own services
    /// (its JSON options, its problem details writer), read back. Only the trace id, which each real answer has its own
    /// of, is replaced by a sample.
    /// </summary>
    private static async Task<JsonNode> AnswerAsync(IResult result, IServiceProvider services)
    {
        var context = new DefaultHttpContext { RequestServices = services };
        using var body = new MemoryStream();
        context.Response.Body = body;
        await result.ExecuteAsync(context);
        var answer = JsonNode.Parse(body.ToArray())
            ?? throw new InvalidOperationException($"{result.GetType().Name} wrote no JSON body to show as an example.");
        if (answer is JsonObject problem && problem.ContainsKey(OrderProblems.TraceIdExtension))
        {
            problem[OrderProblems.TraceIdExtension] = ExampleTraceId;
        }
        return answer;
    }

    private static string Duration(TimeSpan span) =>
        span.TotalHours >= 1 && span.TotalHours == Math.Floor(span.TotalHours)
            ? $"{span.TotalHours:0} hours"
            : $"{span.TotalMinutes:0.##} minutes";

    /// <summary>An order the validator refuses on two fields; the 400 example is its real answer.</summary>
    private static JsonObject ExampleInvalidOrder() => new()
    {
        ["customer_id"] = new string('c', OrderRules.MaxCustomerIdLength + 6),
        ["items"] = new JsonArray(
            new JsonObject { ["product_id"] = "SKU-1001", ["quantity"] = 2 },
            new JsonObject { ["product_id"] = "SKU-1002", ["quantity"] = OrderRules.MinQuantity - 1 }),
    };

    private static JsonObject ExampleOrder() => new()
    {
        ["customer_id"] = "c-42",
        ["items"] = new JsonArray(
            new JsonObject { ["product_id"] = "SKU-1001", ["quantity"] = 2 },
            new JsonObject { ["product_id"] = "SKU-1002", ["quantity"] = 1 }),
    };

    private static void Identifier(OpenApiSchema schema, int maxLength, string meaning, string example)
    {
        schema.MinLength = 1;
        schema.MaxLength = maxLength;
        schema.Pattern = ContractPatterns.Identifier(maxLength);
        schema.Description = $"{meaning} 1 to {maxLength} characters, counted in UTF-16 code units as the Api counts them "
            + "(a character outside the Basic Multilingual Plane, "
            + "such as an emoji, counts as two; the pattern bounds that); no control characters (Unicode Cc), no invisible format characters (Unicode Cf: "
            + "U+200B, U+FEFF, U+202E, U+00AD, ...), no white space at the start or the end.";
        schema.Examples = [JsonValue.Create(example)];
    }

    /// <summary>
    /// The status property of a component schema as a plain reference to <see cref="OrderStatusSchema"/>; the schema
    /// says what it means there.
    /// </summary>
    private static void StatusOf(OpenApiDocument document, string owner, string description)
    {
        var schema = document.Components?.Schemas?.TryGetValue(owner, out var found) == true && found is OpenApiSchema inline
            ? inline
            : throw new InvalidOperationException($"The OpenAPI document has no schema {owner}: the order status could not be stated.");
        ReplaceProperty(schema, "status", new OpenApiSchemaReference(OrderStatusSchema, document));
        schema.Description = description;
    }

    private static OpenApiSchema OrderIdSchema(string? description) =>
        new() { Type = JsonSchemaType.String, Format = "uuid", Description = description };

    private static OpenApiSchema Property(OpenApiSchema schema, string name) =>
        schema.Properties?.TryGetValue(name, out var property) == true && property is OpenApiSchema inline
            ? inline
            : throw new InvalidOperationException($"The OpenAPI schema has no inline property {name}: the contract could not be stated.");

    private static void ReplaceProperty(OpenApiSchema schema, string name, IOpenApiSchema replacement)
    {
        _ = Property(schema, name);
        schema.Properties![name] = replacement;
    }

    private static OpenApiParameter Parameter(OpenApiOperation operation, string name) =>
        operation.Parameters?.OfType<OpenApiParameter>().FirstOrDefault(p => p.Name == name)
            ?? throw new InvalidOperationException($"Operation {operation.OperationId} has no parameter {name}.");

    private static OpenApiResponse Response(OpenApiOperation operation, int status, string description)
    {
        var response = operation.Responses?.TryGetValue(status.ToString(System.Globalization.CultureInfo.InvariantCulture), out var found) == true
            && found is OpenApiResponse known
            ? known
            : throw new InvalidOperationException($"Operation {operation.OperationId} declares no {status} response: add it to the route's metadata.");
        response.Description = description;
        return response;
    }

    private static void Header(OpenApiResponse response, string name, bool required, string description, IOpenApiSchema schema)
    {
        response.Headers ??= new Dictionary<string, IOpenApiHeader>();
        response.Headers[name] = new OpenApiHeader { Required = required, Description = description, Schema = schema };
    }

    private static void RetryAfter(OpenApiResponse response, bool required) =>
        Header(response, "Retry-After", required, "Seconds to wait before trying again.", new OpenApiSchema { Type = JsonSchemaType.Integer, Minimum = "1" });

    private static void SetSchema(OpenApiResponse response, string mediaType, IOpenApiSchema schema)
    {
        response.Content ??= new Dictionary<string, OpenApiMediaType>();
        if (!response.Content.TryGetValue(mediaType, out var content))
        {
            response.Content[mediaType] = content = new OpenApiMediaType();
        }
        content.Schema = schema;
    }

    private static void Example(OpenApiResponse response, string mediaType, JsonNode example) => Content(response, mediaType).Example = example;

    private static void Examples(OpenApiResponse response, string mediaType, params (string Name, string Summary, JsonNode Value)[] examples) =>
        Content(response, mediaType).Examples = examples.ToDictionary(
            e => e.Name, e => (IOpenApiExample)new OpenApiExample { Summary = e.Summary, Value = e.Value });

    private static OpenApiMediaType Content(OpenApiResponse response, string mediaType) =>
        response.Content?.TryGetValue(mediaType, out var content) == true
            ? content
            : throw new InvalidOperationException($"The response has no {mediaType} content to give an example of.");
}
