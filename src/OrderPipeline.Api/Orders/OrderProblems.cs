using Microsoft.AspNetCore.Http.HttpResults;

namespace OrderPipeline.Api.Orders;

/// <summary>
/// The problem+json answers about an order's fate, with their <c>type</c> URIs and extensions in one place, so that
/// every response (and the OpenAPI description) names them the same way. Headers are set on the response here too.
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

    /// <summary>404: the id was issued but the Processor has not recorded the order yet.</summary>
    public const string NotRecordedYetType = TypeBase + "order-not-recorded-yet";

    /// <summary>The problem extension naming an order.</summary>
    public const string OrderIdExtension = "order_id";

    /// <summary>Seconds a client should wait before retrying a 503.</summary>
    public const int RetryAfterSeconds = 5;

    public static string Location(string orderId) => $"/api/orders/{orderId}";

    public static ProblemHttpResult NotAccepted(HttpContext context, bool keyed)
    {
        context.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return TypedResults.Problem(
            statusCode: StatusCodes.Status503ServiceUnavailable,
            title: "Orders cannot be accepted right now",
            detail: keyed
                ? "The order queue refused the order or could not be reached. Nothing was accepted; retry later with the same Idempotency-Key."
                : "The order queue refused the order or could not be reached. Nothing was accepted; retry later.",
            type: NotAcceptedType);
    }

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

    public static ProblemHttpResult IdempotencyUnavailable(HttpContext context)
    {
        context.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return TypedResults.Problem(
            statusCode: StatusCodes.Status503ServiceUnavailable,
            title: "Orders with an Idempotency-Key cannot be accepted right now",
            detail: "The database that remembers Idempotency-Keys is unreachable. Nothing was accepted; retry later with the same Idempotency-Key.",
            type: IdempotencyUnavailableType);
    }

    public static ProblemHttpResult NotRecordedYet(HttpContext context, int retryAfterSeconds, string detail)
    {
        context.Response.Headers.RetryAfter = retryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return TypedResults.Problem(
            statusCode: StatusCodes.Status404NotFound,
            title: "Order not recorded yet",
            detail: detail,
            type: NotRecordedYetType);
    }
}
