using OrderPipeline.Api.Orders;
using OrderPipeline.Messaging;

namespace OrderPipeline.Api.Extensions;

internal static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddMySqlDataSource("orders");
        builder.AddSqsMessaging(queues => queues.OrderCreated);

        builder.Services.AddProblemDetails();
        // The API speaks snake_case, like the events.
        builder.Services.ConfigureHttpJsonOptions(options =>
            options.SerializerOptions.PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower);
        // The document served at /openapi/v1.json states the validator's rules and every response: see OrdersApiDocument.
        builder.Services.AddOpenApi(options => options.AddOrdersContract());
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<ApiTelemetry>();
        builder.Services.AddSingleton<OrderQueries>();
    }

    /// <summary>
    /// What the framework answers on its own before a handler runs (415 from the POST's Accepts metadata, 404 and 405
    /// from routing) is application/problem+json too, as the OpenAPI document says, whatever the Accept header asks:
    /// the default status code page falls back to text/plain when Accept excludes JSON, and this Api speaks JSON only.
    /// </summary>
    public static WebApplication UseProblemStatusCodePages(this WebApplication app)
    {
        app.UseStatusCodePages(context => TypedResults.Problem(statusCode: context.HttpContext.Response.StatusCode).ExecuteAsync(context.HttpContext));
        return app;
    }
}
