using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using OrderPipeline.Messaging.Events;

namespace OrderPipeline.Api.Orders;

/// <summary>
/// The Orders API's OpenAPI description, as served at <c>/openapi/v1.json</c>: the document is the contract, so it states
/// every rule <see cref="OrderValidator"/> enforces (from <see cref="OrderRules"/> and <see cref="ContractPatterns"/>,
/// never restated by hand) and every response each operation can give, with its problem+json shape and examples.
/// </summary>
/// <remarks>
/// Schema transformers shape the types (by CLR type, so a renamed component cannot slip past), operation transformers
/// add what the handlers' signatures cannot say (headers, examples, the rules JSON Schema cannot express), and a document
/// transformer adds the one schema no CLR type carries (a problem naming an order).
/// </remarks>
public static class OrdersApiDocument
{
    public const string OrderProblemSchema = "OrderProblemDetails";
    public const string UniqueItemPropertiesExtension = "x-unique-item-properties";
    public const string MaxBodyBytesExtension = "x-max-body-bytes";

    private const string Json = "application/json";
    private const string ProblemJson = "application/problem+json";
    private const string ExampleOrderId = "0193a5c2-7f3e-7b41-9c2d-5e8f1a2b3c4d";

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
        options.AddOperationTransformer((operation, context, _) =>
        {
            switch (operation.OperationId)
            {
                case OrdersApi.PlaceOrderOperation:
                    DescribePlaceOrder(operation, context.Document);
                    break;
                case OrdersApi.GetOrderOperation:
                    DescribeGetOrder(operation);
                    break;
            }
            return Task.CompletedTask;
        });
        options.AddDocumentTransformer((document, _, _) =>
        {
            document.Components ??= new OpenApiComponents();
            document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
            document.Components.Schemas[OrderProblemSchema] = new OpenApiSchema
            {
                Description = "A problem about one order: order_id names it (and Location, where sent, points at it).",
                AllOf = [new OpenApiSchemaReference(nameof(ProblemDetails), document)],
                Properties = new Dictionary<string, IOpenApiSchema> { [OrderProblems.OrderIdExtension] = OrderIdSchema("The order the problem is about.") },
            };
            return Task.CompletedTask;
        });
        return options;
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
            quantity.Description = $"A whole number from {OrderRules.MinQuantity} to {OrderRules.MaxQuantity} (2.0 and 2e0 are whole numbers; 2.5 and \"2\" are refused).";
        }
        else if (type == typeof(PlaceOrderResponse))
        {
            schema.AdditionalPropertiesAllowed = false;
            ReplaceProperty(schema, "order_id", OrderIdSchema("The order's id: GET /api/orders/{order_id} follows it."));
            Status(Property(schema, "status"), [OrderRules.AcceptedStatus], "An order just accepted is PENDING until the Processor settles it.");
        }
        else if (type == typeof(OrderView))
        {
            ReplaceProperty(schema, "order_id", OrderIdSchema("The order's id."));
            Status(Property(schema, "status"), OrderRules.StatusValues, "PENDING until the Processor settles the order as PROCESSED (stock taken) or FAILED (see failure_reason).");
            Property(schema, "failure_reason").Description = "Why the order FAILED (insufficient stock, unknown product); null otherwise.";
            Property(schema, "processed_at").Description = "When the order was settled; null while PENDING.";
        }
        else if (type == typeof(ProblemDetails) || type == typeof(HttpValidationProblemDetails))
        {
            // RFC 9457: the Api always sends status as a number and always a title.
            var status = Property(schema, "status");
            status.Type = JsonSchemaType.Integer;
            status.Pattern = null;
            Property(schema, "title").Type = JsonSchemaType.String;
            schema.Required ??= new HashSet<string>();
            schema.Required.Add("status");
            schema.Required.Add("title");
            if (type == typeof(HttpValidationProblemDetails))
            {
                schema.Required.Add("errors");
                Property(schema, "errors").Description = "Every problem in the request, by field: body, customer_id, items, items[i], items[i].product_id, items[i].quantity, "
                    + "an unknown field's path (coupon, items[0].colour) or Idempotency-Key; each with what is wrong with it.";
            }
        }
    }

    private static void DescribePlaceOrder(OpenApiOperation operation, OpenApiDocument? document)
    {
        operation.Description =
            "Validates the order, publishes OrderCreated and answers 202 with the order id. Send an Idempotency-Key header to make retries safe: "
            + "with one, the order id is derived from the customer and the key, so a retry names the same order.\n\n"
            + "Beyond the request schema: the body is UTF-8 JSON (Content-Type application/json, with no charset or charset=utf-8, else 415) "
            + $"of at most {OrderRules.MaxBodyBytes} bytes (else 413); invalid UTF-8, an escaped unpaired surrogate or a property given twice is a 400 on body; "
            + "a product repeated on two lines is a 400 on the later line. All problems in one request are reported together.";
        operation.Extensions ??= new Dictionary<string, IOpenApiExtension>();
        operation.Extensions[MaxBodyBytesExtension] = new JsonNodeExtension(JsonValue.Create(OrderRules.MaxBodyBytes));

        var key = Parameter(operation, OrdersApi.IdempotencyKeyHeader);
        key.Description = $"Makes retries safe: 1 to {OrderRules.MaxIdempotencyKeyLength} visible ASCII characters. The same key and customer always name the same order; the first request's content wins.";
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
        Header(accepted, "Location", required: true, "Where the order can be read: /api/orders/{order_id}.", new OpenApiSchema { Type = JsonSchemaType.String, Format = "uri-reference" });
        Example(accepted, Json, new JsonObject { ["order_id"] = ExampleOrderId, ["status"] = OrderRules.AcceptedStatus });

        Example(Response(operation, StatusCodes.Status400BadRequest, "The order is not valid: errors names each bad field and what is wrong with it."), ProblemJson,
            Problem(400, "The order is not valid", "See errors: each names a field and what is wrong with it.", new JsonObject
            {
                ["customer_id"] = new JsonArray($"must be at most {OrderRules.MaxCustomerIdLength} characters (has 70)"),
                ["items[1].quantity"] = new JsonArray($"must be between {OrderRules.MinQuantity} and {OrderRules.MaxQuantity}"),
            }));
        Example(Response(operation, StatusCodes.Status413PayloadTooLarge, $"The body is over {OrderRules.MaxBodyBytes} bytes."), ProblemJson,
            Problem(413, "Request body too large", $"An order body may be at most {OrderRules.MaxBodyBytes} bytes."));
        Example(Response(operation, StatusCodes.Status415UnsupportedMediaType, "Not JSON (Content-Type is not application/json), or JSON declared in a charset other than UTF-8."), ProblemJson,
            Problem(415, "Unsupported media type", "Send the order as JSON with Content-Type: application/json."));

        Unauthorized(operation);
        Example(Response(operation, StatusCodes.Status403Forbidden, "Signed in, but customer_id is not the token's subject: a customer places orders as itself only."), ProblemJson,
            Problem(403, "Not your customer id", "customer_id must be the subject of your token."));

        var conflict = Response(operation, StatusCodes.Status422UnprocessableEntity,
            $"The Idempotency-Key was first used by this customer with a different order (type {OrderProblems.IdempotencyKeyReusedType}): nothing was accepted; "
            + "order_id and Location name that first order, which stands.");
        Header(conflict, "Location", required: true, "The first order placed with this key.", new OpenApiSchema { Type = JsonSchemaType.String, Format = "uri-reference" });
        SetSchema(conflict, ProblemJson, new OpenApiSchema { AllOf = [new OpenApiSchemaReference(OrderProblemSchema, document)], Required = new HashSet<string> { OrderProblems.OrderIdExtension } });
        Example(conflict, ProblemJson, Problem(422, "Idempotency-Key already used for another order",
            $"This Idempotency-Key was first used with a different order (order {ExampleOrderId}). Nothing was accepted.", orderId: ExampleOrderId, type: OrderProblems.IdempotencyKeyReusedType));

        var unavailable = Response(operation, StatusCodes.Status503ServiceUnavailable,
            "Retry after Retry-After seconds, with the same Idempotency-Key. Three cases, by type: "
            + $"{OrderProblems.NotAcceptedType}: the queue refused the order or could not be reached, nothing was accepted; "
            + $"{OrderProblems.OutcomeUnknownType}: the queue did not confirm the order in time, so it may have been accepted: order_id and Location name it; "
            + $"{OrderProblems.IdempotencyUnavailableType}: a keyed order could not reach the database that remembers keys, nothing was accepted.");
        RetryAfter(unavailable, required: true);
        Header(unavailable, "Location", required: false, "Where the order will be readable if it was accepted after all.", new OpenApiSchema { Type = JsonSchemaType.String, Format = "uri-reference" });
        SetSchema(unavailable, ProblemJson, new OpenApiSchemaReference(OrderProblemSchema, document));
        unavailable.Content![ProblemJson].Examples = new Dictionary<string, IOpenApiExample>
        {
            ["not-accepted"] = new OpenApiExample
            {
                Summary = "Nothing was accepted",
                Value = Problem(503, "Orders cannot be accepted right now", "The order queue refused the order or could not be reached. Nothing was accepted; retry later.",
                    type: OrderProblems.NotAcceptedType),
            },
            ["outcome-unknown"] = new OpenApiExample
            {
                Summary = "Maybe accepted (with Location)",
                Value = Problem(503, "The order may have been accepted", $"The order queue did not confirm order {ExampleOrderId} in time, so it may or may not have been accepted.",
                    orderId: ExampleOrderId, type: OrderProblems.OutcomeUnknownType),
            },
        };
    }

    private static void DescribeGetOrder(OpenApiOperation operation)
    {
        var id = Parameter(operation, "order_id");
        id.Description = "The order_id the 202 answered (a UUID). Anything that is not a UUID is a 404.";
        id.Schema = OrderIdSchema(null);
        id.Example = ExampleOrderId;

        var found = Response(operation, StatusCodes.Status200OK, "The order as recorded.");
        Example(found, Json, new JsonObject
        {
            ["order_id"] = ExampleOrderId,
            ["customer_id"] = "c-42",
            ["status"] = OrderRules.StatusValues[(int)OrderStatus.Failed],
            ["items"] = new JsonArray(new JsonObject { ["product_id"] = "SKU-1008", ["quantity"] = 9 }),
            ["failure_reason"] = "insufficient stock: SKU-1008 (requested 9, available 5)",
            ["created_at"] = "2026-11-29T18:00:00.123456Z",
            ["processed_at"] = "2026-11-29T18:00:00.456789Z",
        });

        Unauthorized(operation);

        var notFound = Response(operation, StatusCodes.Status404NotFound,
            "No order with this id is recorded (for a signed-in customer: none of theirs). If the id was issued in the last 15 minutes, or for an Idempotency-Key whose order is not recorded yet, "
            + $"the type is {OrderProblems.NotRecordedYetType} (title \"Order not recorded yet\") and Retry-After says when to look again.");
        RetryAfter(notFound, required: false);
        var notFoundContent = notFound.Content![ProblemJson];
        notFoundContent.Examples = new Dictionary<string, IOpenApiExample>
        {
            ["not-recorded-yet"] = new OpenApiExample
            {
                Summary = "Issued moments ago, still on its way (with Retry-After: 1)",
                Value = Problem(404, "Order not recorded yet", "No order with this id is recorded yet. If it was accepted moments ago it is still queued for processing: retry shortly.",
                    type: OrderProblems.NotRecordedYetType),
            },
            ["not-found"] = new OpenApiExample { Summary = "No such order", Value = Problem(404, "Order not found", $"No order {ExampleOrderId} exists.") },
        };

        var unavailable = Response(operation, StatusCodes.Status503ServiceUnavailable, "The order database could not be reached; retry after Retry-After seconds.");
        RetryAfter(unavailable, required: true);
        Example(unavailable, ProblemJson, Problem(503, "Orders cannot be read right now", "The order database is unreachable; retry later."));
    }

    /// <summary>Only when the Api requires a token (Auth:Authority, or behind API Gateway's authorizer).</summary>
    private static void Unauthorized(OpenApiOperation operation) =>
        Example(Response(operation, StatusCodes.Status401Unauthorized, "No valid token, where the Api requires one (Auth:Authority is configured, or API Gateway's JWT authorizer is in front)."), ProblemJson,
            Problem(401, "Unauthorized", null));

    private static JsonObject ExampleOrder() => new()
    {
        ["customer_id"] = "c-42",
        ["items"] = new JsonArray(
            new JsonObject { ["product_id"] = "SKU-1001", ["quantity"] = 2 },
            new JsonObject { ["product_id"] = "SKU-1002", ["quantity"] = 1 }),
    };

    private static JsonObject Problem(int status, string title, string? detail, JsonObject? errors = null, string? orderId = null, string? type = null)
    {
        var problem = new JsonObject
        {
            ["type"] = type ?? "https://tools.ietf.org/html/rfc9110",
            ["title"] = title,
            ["status"] = status,
        };
        if (detail is not null)
        {
            problem["detail"] = detail;
        }
        if (errors is not null)
        {
            problem["errors"] = errors;
        }
        if (orderId is not null)
        {
            problem[OrderProblems.OrderIdExtension] = orderId;
        }
        return problem;
    }

    private static void Identifier(OpenApiSchema schema, int maxLength, string meaning, string example)
    {
        schema.MinLength = 1;
        schema.MaxLength = maxLength;
        schema.Pattern = ContractPatterns.Identifier(maxLength);
        schema.Description = $"{meaning} 1 to {maxLength} characters, counted in UTF-16 code units as the Api counts them (a character outside the Basic Multilingual Plane, "
            + "such as an emoji, counts as two; the pattern bounds that); no control characters (Unicode Cc), no invisible format characters (Unicode Cf: "
            + "U+200B, U+FEFF, U+202E, U+00AD, ...), no white space at the start or the end.";
        schema.Examples = [JsonValue.Create(example)];
    }

    private static void Status(OpenApiSchema schema, IEnumerable<string> values, string description)
    {
        schema.Enum = [.. values.Select(v => (JsonNode)JsonValue.Create(v))];
        schema.Description = description;
    }

    private static OpenApiSchema OrderIdSchema(string? description) =>
        new() { Type = JsonSchemaType.String, Format = "uuid", Description = description };

    private static OpenApiSchema Property(OpenApiSchema schema, string name) =>
        schema.Properties?.TryGetValue(name, out var property) == true && property is OpenApiSchema inline
            ? inline
            : throw new InvalidOperationException($"The OpenAPI schema has no inline property {name}: the contract could not be stated.");

    private static void ReplaceProperty(OpenApiSchema schema, string name, OpenApiSchema replacement)
    {
        _ = Property(schema, name);
        schema.Properties![name] = replacement;
    }

    private static OpenApiParameter Parameter(OpenApiOperation operation, string name) =>
        operation.Parameters?.OfType<OpenApiParameter>().FirstOrDefault(p => p.Name == name)
            ?? throw new InvalidOperationException($"Operation {operation.OperationId} has no parameter {name}.");

    private static OpenApiResponse Response(OpenApiOperation operation, int status, string description)
    {
        var response = operation.Responses?.TryGetValue(status.ToString(System.Globalization.CultureInfo.InvariantCulture), out var found) == true && found is OpenApiResponse known
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

    private static void Example(OpenApiResponse response, string mediaType, JsonNode example)
    {
        if (response.Content?.TryGetValue(mediaType, out var content) != true)
        {
            throw new InvalidOperationException($"The response has no {mediaType} content to give an example of.");
        }
        content!.Example = example;
    }
}
