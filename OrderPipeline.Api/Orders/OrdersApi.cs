using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using MySqlConnector;
using OrderPipeline.Messaging.Events;
using OrderPipeline.Messaging.Publishing;
using OrderPipeline.Messaging.Sqs;

namespace OrderPipeline.Api.Orders;

/// <summary>POST /api/orders and GET /api/orders/{order_id}.</summary>
public static partial class OrdersApi
{
    public const string IdempotencyKeyHeader = "Idempotency-Key";

    // How long after issuing an id the Api tells a client "not recorded yet" rather than "not found".
    private static readonly TimeSpan RecordingWindow = TimeSpan.FromMinutes(15);
    private static readonly TimeSpan PublishTimeout = TimeSpan.FromSeconds(5);

    public const string PlaceOrderOperation = "PlaceOrder";
    public const string GetOrderOperation = "GetOrder";

    public static RouteGroupBuilder MapOrdersApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/orders").WithTags("Orders");

        // Every response each operation can give is declared here, beside the return types that declare 202, 400 and
        // 200; OrdersApiDocument describes them (headers, shapes, examples) in the OpenAPI document.
        api.MapPost("", PlaceOrderAsync)
            .WithName(PlaceOrderOperation)
            .WithSummary("Place an order")
            .Accepts<PlaceOrderRequest>("application/json")
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);

        api.MapGet("/{order_id}", GetOrderAsync)
            .WithName(GetOrderOperation)
            .WithSummary("Get an order's status")
            .WithDescription("The order as recorded: status (PENDING, PROCESSED, FAILED), items, timestamps and failure reason.")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);

        return api;
    }

    public static async Task<Results<Accepted<PlaceOrderResponse>, ValidationProblem, ProblemHttpResult>> PlaceOrderAsync(
        HttpContext context,
        [FromHeader(Name = IdempotencyKeyHeader)] string? idempotencyKey,
        IEventPublisher publisher,
        IOptions<QueueOptions> queues,
        TimeProvider clock,
        ApiTelemetry telemetry,
        ILoggerFactory loggers,
        CancellationToken cancellationToken)
    {
        var request = context.Request;
        if (!request.HasJsonContentType())
        {
            return Reject(telemetry, TypedResults.Problem(
                statusCode: StatusCodes.Status415UnsupportedMediaType,
                title: "Unsupported media type",
                detail: "Send the order as JSON with Content-Type: application/json."));
        }
        if (OrderValidator.CheckCharset(request.ContentType) is { } charsetProblem)
        {
            return Reject(telemetry, TypedResults.Problem(
                statusCode: StatusCodes.Status415UnsupportedMediaType,
                title: "Unsupported charset",
                detail: charsetProblem));
        }
        var body = await ReadLimitedAsync(request, OrderRules.MaxBodyBytes, cancellationToken);
        if (body is null)
        {
            return Reject(telemetry, TypedResults.Problem(
                statusCode: StatusCodes.Status413PayloadTooLarge,
                title: "Request body too large",
                detail: $"An order body may be at most {OrderRules.MaxBodyBytes} bytes."));
        }

        var (order, errors) = OrderValidator.Validate(body.Value);
        if (idempotencyKey is not null && OrderValidator.CheckIdempotencyKey(idempotencyKey) is { } keyProblem)
        {
            errors[IdempotencyKeyHeader] = [keyProblem];
        }
        if (order is null || errors.Count > 0)
        {
            telemetry.RecordRejected(StatusCodes.Status400BadRequest);
            return TypedResults.ValidationProblem(errors, title: "The order is not valid", detail: "See errors: each names a field and what is wrong with it.");
        }

        var orderId = idempotencyKey is null ? OrderIds.New(clock) : OrderIds.FromIdempotencyKey(order.CustomerId, idempotencyKey);
        var created = new OrderCreated(orderId, order.CustomerId, order.Items, clock.GetUtcNow().UtcDateTime);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(PublishTimeout);
            await publisher.PublishAsync(queues.Value.OrderCreated, OrderCreated.EventType, created, EventJsonContext.Default.OrderCreated, timeout.Token);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            // Nothing was accepted, so the client must retry (with the same Idempotency-Key, to be safe).
            LogPublishFailed(loggers.CreateLogger(typeof(OrdersApi)), ex, orderId);
            context.Response.Headers.RetryAfter = "5";
            return Reject(telemetry, TypedResults.Problem(
                statusCode: StatusCodes.Status503ServiceUnavailable,
                title: "Orders cannot be accepted right now",
                detail: "The order queue is unreachable. Nothing was accepted; retry later."));
        }

        telemetry.RecordAccepted();
        return TypedResults.Accepted($"/api/orders/{orderId}", new PlaceOrderResponse(orderId, "PENDING"));
    }

    public static async Task<Results<Ok<OrderView>, ProblemHttpResult>> GetOrderAsync(
        [FromRoute(Name = "order_id")] string orderId,
        HttpContext context,
        OrderQueries queries,
        TimeProvider clock,
        CancellationToken cancellationToken)
    {
        if (!Guid.TryParse(orderId, out var id))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Order not found", detail: "Order ids are UUIDs.");
        }

        OrderView? order;
        try
        {
            order = await queries.FindAsync(id.ToString(), cancellationToken);
        }
        catch (MySqlException)
        {
            context.Response.Headers.RetryAfter = "5";
            return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Orders cannot be read right now", detail: "The order database is unreachable; retry later.");
        }
        if (order is not null)
        {
            return TypedResults.Ok(order);
        }

        // The Processor records an order shortly after it is accepted. A recently issued id is most likely
        // still on its way, so say so (and when to look again) instead of a bare "not found".
        if (OrderIds.IssuedAt(id) is { } issuedAt && clock.GetUtcNow() - issuedAt is var age && age < RecordingWindow && age > -TimeSpan.FromMinutes(1))
        {
            context.Response.Headers.RetryAfter = "1";
            return TypedResults.Problem(
                statusCode: StatusCodes.Status404NotFound,
                title: "Order not recorded yet",
                detail: "No order with this id is recorded yet. If it was accepted moments ago it is still queued for processing: retry shortly.",
                type: "https://github.com/orderpipeline/orderpipeline#order-not-recorded-yet");
        }
        return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Order not found", detail: $"No order {id} exists.");
    }

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

    [LoggerMessage(LogLevel.Error, "Publishing OrderCreated for {OrderId} failed; answered 503")]
    private static partial void LogPublishFailed(ILogger logger, Exception exception, string orderId);
}
