using System.Data.Common;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using MySqlConnector;
using OrderPipeline.Api.Admission;
using OrderPipeline.Api.Authentication;
using OrderPipeline.Api.Idempotency;
using OrderPipeline.Api.Publishing;
using OrderPipeline.Messaging.Events;

namespace OrderPipeline.Api.Orders;

/// <summary>POST /api/orders and GET /api/orders/{order_id}.</summary>
public static partial class OrdersApi
{
    public const string IdempotencyKeyHeader = "Idempotency-Key";

    // How long after issuing an id the Api tells a client "not recorded yet" rather than "not found".
    private static readonly TimeSpan RecordingWindow = TimeSpan.FromMinutes(15);

    public const string PlaceOrderOperation = "PlaceOrder";
    public const string GetOrderOperation = "GetOrder";

    public static RouteGroupBuilder MapOrdersApi(this IEndpointRouteBuilder app)
    {
        // Open unless an authority is configured (AuthenticationExtensions): then only a signed-in customer gets in.
        var api = app.MapGroup("/api/orders").WithTags("Orders").RequireAuthorization(AuthenticationExtensions.CustomerPolicy);

        // Every response each operation can give is declared here, beside the return types that declare 202, 400 and
        // 200; OrdersApiDocument describes them (headers, shapes, examples) in the OpenAPI document.
        api.MapPost("", PlaceOrderAsync)
            .WithName(PlaceOrderOperation)
            .WithSummary("Place an order")
            .RequireRateLimiting(OrdersInProgressLimit.PolicyName)
            .Accepts<PlaceOrderRequest>("application/json")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);

        api.MapGet("/{order_id}", GetOrderAsync)
            .WithName(GetOrderOperation)
            .WithSummary("Get an order's status")
            .WithDescription("The order as recorded: status (PENDING, PROCESSED, FAILED), items, timestamps and failure reason.")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);

        return api;
    }

    public static async Task<Results<Accepted<PlaceOrderResponse>, ValidationProblem, ProblemHttpResult>> PlaceOrderAsync(
        HttpContext context,
        [FromHeader(Name = IdempotencyKeyHeader)] string? idempotencyKey,
        IdempotencyKeyStore keys,
        OrderQueueAdmission admission,
        OrderCreatedPublisher publisher,
        TimeProvider clock,
        ApiTelemetry telemetry,
        ILoggerFactory loggers,
        CancellationToken cancellationToken)
    {
        var request = context.Request;
        if (!request.HasJsonContentType())
        {
            return Reject(telemetry, OrderProblems.UnsupportedMediaType());
        }
        if (OrderValidator.CheckCharset(request.ContentType) is { } charsetProblem)
        {
            return Reject(telemetry, OrderProblems.UnsupportedCharset(charsetProblem));
        }
        var body = await ReadLimitedAsync(request, OrderRules.MaxBodyBytes, cancellationToken);
        if (body is null)
        {
            return Reject(telemetry, OrderProblems.BodyTooLarge());
        }

        var (order, errors) = OrderValidator.Validate(body.Value);
        if (idempotencyKey is not null && OrderValidator.CheckIdempotencyKey(idempotencyKey) is { } keyProblem)
        {
            errors[IdempotencyKeyHeader] = [keyProblem];
        }
        if (order is null || errors.Count > 0)
        {
            telemetry.RecordRejected(StatusCodes.Status400BadRequest);
            return OrderProblems.Invalid(errors);
        }

        if (CustomerIdentity.SubjectOf(context.User) is { } customer && customer != order.CustomerId)
        {
            // A signed-in customer places orders as itself only.
            return Reject(telemetry, OrderProblems.NotYourCustomerId());
        }

        if (!admission.Admits())
        {
            // Before the key is claimed: a refused order is not one, and its retry with the same key is a first use.
            return Reject(telemetry, OrderProblems.OrdersQueued(context, admission.RetryAfterSeconds));
        }

        var logger = loggers.CreateLogger(typeof(OrdersApi));
        var keyed = idempotencyKey is not null;
        var orderId = OrderIds.New(clock);
        if (idempotencyKey is not null)
        {
            // The key names the order issued at its first use; the same key with another order is refused, not ignored.
            IdempotencyKeyClaim claim;
            try
            {
                claim = await keys.ClaimAsync(order.CustomerId, idempotencyKey, RequestFingerprint.Of(order), orderId, cancellationToken);
            }
            catch (Exception ex) when (ex is DbException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                // Without the database a key cannot be honoured, and accepting the order anyway could make a second one.
                LogIdempotencyUnavailable(logger, ex);
                return Reject(telemetry, OrderProblems.IdempotencyUnavailable(context));
            }
            if (!claim.SameRequest)
            {
                return Reject(telemetry, OrderProblems.IdempotencyKeyReused(context, claim.OrderId));
            }
            // A repeat is published again: the Processor ignores an order id it has recorded, and the repeat rescues a
            // first attempt whose publish failed or whose outcome was unknown.
            if (!claim.FirstUse)
            {
                LogRepeat(logger, claim.OrderId);
            }
            orderId = claim.OrderId;
        }

        var created = new OrderCreated(orderId, order.CustomerId, order.Items, clock.GetUtcNow().UtcDateTime);
        switch (await publisher.PublishAsync(created, cancellationToken))
        {
            case PublishOutcome.NotStored:
                LogNotAccepted(logger, orderId);
                return Reject(telemetry, OrderProblems.NotAccepted(context, keyed));
            case PublishOutcome.Unknown:
                LogOutcomeUnknown(logger, orderId);
                return Reject(telemetry, OrderProblems.OutcomeUnknown(context, orderId, keyed));
        }

        telemetry.RecordAccepted();
        return Accepted(orderId);
    }

    public static async Task<Results<Ok<OrderView>, ProblemHttpResult>> GetOrderAsync(
        [FromRoute(Name = "order_id")] string orderId,
        HttpContext context,
        OrderQueries queries,
        IdempotencyKeyStore keys,
        TimeProvider clock,
        CancellationToken cancellationToken)
    {
        if (!Guid.TryParse(orderId, out var id))
        {
            return OrderProblems.NotAnOrderId();
        }

        OrderView? order;
        bool issuedForKey;
        try
        {
            order = await queries.FindAsync(id.ToString(), cancellationToken);
            // Only asked when the id is not recent: a keyed order whose first publish failed can be retried (and
            // recorded) long after its id was issued, and is still "not recorded yet" rather than "not found".
            issuedForKey = order is null && !IsRecent(id, clock) && await keys.IsRememberedAsync(id.ToString(), cancellationToken);
        }
        catch (MySqlException)
        {
            return OrderProblems.OrdersUnreadable(context);
        }
        if (order is not null && CustomerIdentity.SubjectOf(context.User) is { } customer && customer != order.CustomerId)
        {
            // Another customer's order is answered as if it did not exist: its id says nothing to whoever guesses it.
            return OrderProblems.NotFound(id);
        }
        if (order is not null)
        {
            return TypedResults.Ok(order);
        }

        // The Processor records an order shortly after it is accepted. A recently issued id is most likely
        // still on its way, so say so (and when to look again) instead of a bare "not found".
        if (IsRecent(id, clock))
        {
            return OrderProblems.RecentlyIssued(context);
        }
        if (issuedForKey)
        {
            return OrderProblems.IssuedForKey(context);
        }
        return OrderProblems.NotFound(id);
    }

    /// <summary>202: the order is on the queue; Location and order_id name it.</summary>
    public static Accepted<PlaceOrderResponse> Accepted(string orderId) =>
        TypedResults.Accepted(OrderProblems.Location(orderId), new PlaceOrderResponse(orderId, OrderRules.AcceptedStatus));

    private static bool IsRecent(Guid id, TimeProvider clock) =>
        OrderIds.IssuedAt(id) is { } issuedAt && clock.GetUtcNow() - issuedAt is var age && age < RecordingWindow && age > -TimeSpan.FromMinutes(1);

    private static ProblemHttpResult Reject(ApiTelemetry telemetry, ProblemHttpResult problem)
    {
        telemetry.RecordRejected(problem.StatusCode);
        return problem;
    }

    /// <summary>The body, or null when it is longer than <paramref name="limit"/>.</summary>
    private static async Task<ReadOnlyMemory<byte>?> ReadLimitedAsync(HttpRequest request, int limit, CancellationToken cancellationToken)
    {
        if (request.ContentLength > limit)
        {
            return null;
        }
        var buffer = new byte[limit + 1];
        var length = 0;
        int read;
        while (length < buffer.Length && (read = await request.Body.ReadAsync(buffer.AsMemory(length), cancellationToken)) > 0)
        {
            length += read;
        }
        return length > limit ? null : buffer.AsMemory(0, length);
    }

    [LoggerMessage(LogLevel.Error, "OrderCreated for {OrderId} was not stored by the queue; answered 503, nothing accepted")]
    private static partial void LogNotAccepted(ILogger logger, string orderId);

    [LoggerMessage(LogLevel.Error, "OrderCreated for {OrderId} may or may not have been stored by the queue; answered 503 with the order id")]
    private static partial void LogOutcomeUnknown(ILogger logger, string orderId);

    [LoggerMessage(LogLevel.Information, "A repeated Idempotency-Key names order {OrderId}; publishing it again")]
    private static partial void LogRepeat(ILogger logger, string orderId);

    [LoggerMessage(LogLevel.Error, "The Idempotency-Key store is unreachable; answered 503 to a keyed order")]
    private static partial void LogIdempotencyUnavailable(ILogger logger, Exception exception);
}
