using Microsoft.AspNetCore.Http.HttpResults;

namespace OrderPipeline.Api.Orders;

/// <summary>
/// Every problem+json answer the Api gives, with their <c>type</c> URIs and extensions in one place: the handlers answer
/// with these, and the OpenAPI document's examples are these same results written out (<see cref="OrdersApiDocument"/>),
/// so an example cannot differ from the answer it shows. Headers are set on the response here too.
/// </summary>
public static class OrderProblems
{
    private const string TypeBase = "https://github.com/orderpipeline/orderpipeline#";

    /// <summary>503: every send was refused before SQS could store the order. Nothing was accepted.</summary>
    public const string NotAcceptedType = TypeBase + "order-not-accepted";

    /// <summary>503: a send may have stored the order (timeout, reset, 5xx). <c>order_id</c> and <c>Location</c> name it.</summary>
    public const string OutcomeUnknownType = TypeBase + "order-outcome-unknown";

    /// <summary>422: the Idempotency-Key was first used with another order. <c>order_id</c> and <c>Location</c> name that one.</summary>
    public const string IdempotencyKeyReusedType = TypeBase + "idempotency-key-reused";

    /// <summary>503: a keyed POST could not reach the database that remembers keys. Nothing was accepted.</summary>
    public const string IdempotencyUnavailableType = TypeBase + "idempotency-unavailable";

    /// <summary>503: more orders wait on the queue than the Api lets wait (<c>Admission:MaxQueuedOrders</c>). Nothing was accepted.</summary>
    public const string OrdersQueuedType = TypeBase + "orders-queued";

    /// <summary>404: the id was issued but the Processor has not recorded the order yet.</summary>
    public const string NotRecordedYetType = TypeBase + "order-not-recorded-yet";

    /// <summary>The problem extension naming an order.</summary>
    public const string OrderIdExtension = "order_id";

    /// <summary>
    /// The request's trace, which the framework's problem details writer adds to every problem answer (its <c>traceId</c>,
    /// named in the Api's snake_case); not when the request's Accept rules JSON out, where the problem is written as is.
    /// </summary>
    public const string TraceIdExtension = "trace_id";

    /// <summary>Seconds a client should wait before retrying a 503.</summary>
    public const int RetryAfterSeconds = 5;

    public static string Location(string orderId) => $"/api/orders/{orderId}";

    /// <summary>
    /// What the Api answers when the framework refuses a request before any handler runs (401 from the bearer
    /// challenge, 415 from the POST's Accepts metadata, 404 and 405 from routing): the status's own title and type.
    /// </summary>
    public static ProblemHttpResult ForStatus(int statusCode) => TypedResults.Problem(statusCode: statusCode);

    /// <summary>415: the request declares no JSON content type.</summary>
    public static ProblemHttpResult UnsupportedMediaType() => TypedResults.Problem(
        statusCode: StatusCodes.Status415UnsupportedMediaType,
        title: "Unsupported media type",
        detail: "Send the order as JSON with Content-Type: application/json.");

    /// <summary>415: JSON declared in a charset other than UTF-8; <paramref name="detail"/> says which (<see cref="OrderValidator.CheckCharset"/>).</summary>
    public static ProblemHttpResult UnsupportedCharset(string detail) => TypedResults.Problem(
        statusCode: StatusCodes.Status415UnsupportedMediaType,
        title: "Unsupported charset",
        detail: detail);

    /// <summary>413: the body is longer than <see cref="OrderRules.MaxBodyBytes"/>.</summary>
    public static ProblemHttpResult BodyTooLarge() => TypedResults.Problem(
        statusCode: StatusCodes.Status413PayloadTooLarge,
        title: "Request body too large",
        detail: $"An order body may be at most {OrderRules.MaxBodyBytes} bytes.");

    /// <summary>400: every problem the validator found, by field.</summary>
    public static ValidationProblem Invalid(IDictionary<string, string[]> errors) =>
        TypedResults.ValidationProblem(errors, title: "The order is not valid", detail: "See errors: each names a field and what is wrong with it.");

    /// <summary>403: a signed-in customer places orders as itself only.</summary>
    public static ProblemHttpResult NotYourCustomerId() => TypedResults.Problem(
        statusCode: StatusCodes.Status403Forbidden,
        title: "Not your customer id",
        detail: "customer_id must be the subject of your token.");

    /// <summary>404: the id asked for is not a UUID, so no order has it.</summary>
    public static ProblemHttpResult NotAnOrderId() =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Order not found", detail: "Order ids are UUIDs.");

    /// <summary>404: no such order (or, for a signed-in customer, none of theirs).</summary>
    public static ProblemHttpResult NotFound(Guid orderId) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Order not found", detail: $"No order {orderId} exists.");

    /// <summary>404: the id was issued moments ago; the order is most likely still on its way to the Processor.</summary>
    public static ProblemHttpResult RecentlyIssued(HttpContext context) => NotRecordedYet(context, retryAfterSeconds: 1,
        "No order with this id is recorded yet. If it was accepted moments ago it is still queued for processing: retry shortly.");

    /// <summary>404: the id was issued for an Idempotency-Key, but no order with it is recorded (its POST may have failed).</summary>
    public static ProblemHttpResult IssuedForKey(HttpContext context) => NotRecordedYet(context, retryAfterSeconds: RetryAfterSeconds,
        "This id was issued for an Idempotency-Key, but no order with it is recorded yet. If the POST did not answer 202, " +
        "repeat it with the same Idempotency-Key and body: that sends this same order again.");

    /// <summary>503 to a GET: the order database could not be reached.</summary>
    public static ProblemHttpResult OrdersUnreadable(HttpContext context) => Unavailable(context, RetryAfterSeconds,
        "Orders cannot be read right now",
        "The order database is unreachable; retry later.");

    public static ProblemHttpResult NotAccepted(HttpContext context, bool keyed) => Unavailable(context, RetryAfterSeconds,
        "Orders cannot be accepted right now",
        keyed
            ? "The order queue refused the order or could not be reached. Nothing was accepted; retry later with the same Idempotency-Key."
            : "The order queue refused the order or could not be reached. Nothing was accepted; retry later.",
        NotAcceptedType);

    public static ProblemHttpResult OutcomeUnknown(HttpContext context, string orderId, bool keyed)
    {
        context.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        context.Response.Headers.Location = Location(orderId);
        return TypedResults.Problem(
            statusCode: StatusCodes.Status503ServiceUnavailable,
            title: "The order may have been accepted",
            detail: keyed
                ? $"The order queue did not confirm order {orderId} in time, so it may or may not have been accepted. " +
                  "Retrying with the same Idempotency-Key and body is safe: it names this same order and can never create a second one. " +
                  "GET the Location to see whether it was recorded."
                : $"The order queue did not confirm order {orderId} in time, so it may or may not have been accepted. " +
                  "GET the Location: once the order is recorded it answers 200. Retrying without an Idempotency-Key may create a second order; " +
                  "send one with every order to make retries safe.",
            type: OutcomeUnknownType,
            extensions: new Dictionary<string, object?> { [OrderIdExtension] = orderId });
    }

    public static ProblemHttpResult OrdersQueued(HttpContext context, int retryAfterSeconds) => Unavailable(context, retryAfterSeconds,
        "Too many orders are waiting to be processed",
        "Orders are arriving faster than they are processed. Nothing was accepted; retry after Retry-After seconds "
        + "(with the same Idempotency-Key, if you sent one).",
        OrdersQueuedType);

    public static ProblemHttpResult IdempotencyKeyReused(HttpContext context, string firstOrderId)
    {
        context.Response.Headers.Location = Location(firstOrderId);
        return TypedResults.Problem(
            statusCode: StatusCodes.Status422UnprocessableEntity,
            title: "Idempotency-Key already used for another order",
            detail: $"This Idempotency-Key was first used with a different order (order {firstOrderId}). " +
                    "Nothing was accepted. Repeat that order's body to retry it, or use a new key for a new order.",
            type: IdempotencyKeyReusedType,
            extensions: new Dictionary<string, object?> { [OrderIdExtension] = firstOrderId });
    }

    public static ProblemHttpResult IdempotencyUnavailable(HttpContext context) => Unavailable(context, RetryAfterSeconds,
        "Orders with an Idempotency-Key cannot be accepted right now",
        "The database that remembers Idempotency-Keys is unreachable. Nothing was accepted; retry later with the same Idempotency-Key.",
        IdempotencyUnavailableType);

    /// <summary>A 503 that asks the client to come back after <paramref name="retryAfterSeconds"/> (its Retry-After header).</summary>
    private static ProblemHttpResult Unavailable(HttpContext context, int retryAfterSeconds, string title, string detail, string? type = null)
    {
        context.Response.Headers.RetryAfter = retryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: title, detail: detail, type: type);
    }

    private static ProblemHttpResult NotRecordedYet(HttpContext context, int retryAfterSeconds, string detail)
    {
        context.Response.Headers.RetryAfter = retryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return TypedResults.Problem(
            statusCode: StatusCodes.Status404NotFound,
            title: "Order not recorded yet",
            detail: detail,
            type: NotRecordedYetType);
    }
}
