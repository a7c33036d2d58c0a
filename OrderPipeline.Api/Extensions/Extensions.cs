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
        builder.Services.AddOpenApi();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<ApiTelemetry>();
        builder.Services.AddSingleton<OrderQueries>();
    }
}
