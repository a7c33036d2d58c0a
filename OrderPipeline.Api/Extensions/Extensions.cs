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
}
