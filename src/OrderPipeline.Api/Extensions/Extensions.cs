using Amazon.SQS;
using OrderPipeline.Api.Admission;
using OrderPipeline.Api.Authentication;
using OrderPipeline.Api.Idempotency;
using OrderPipeline.Api.Orders;
using OrderPipeline.Api.Publishing;
using OrderPipeline.Messaging;
using OrderPipeline.Messaging.Sqs;
using OrderPipeline.Data;
using OrderPipeline.Data.Retention;
using Microsoft.Extensions.Options;

namespace OrderPipeline.Api.Extensions;

internal static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddMySqlDataSource("orders");
        // The SQS client's own retries are off here (registered before AddSqsMessaging, which only adds one if none is):
        // OrderCreatedPublisher retries the same message itself and must see every attempt to tell "nothing was
        // stored" from "the outcome is unknown" (a retry that is refused can hide an earlier one that timed out).
        var awsOptions = builder.Configuration.GetSqsClientOptions();
        awsOptions.DefaultClientConfig.MaxErrorRetry = 0;
        builder.Services.AddAWSService<IAmazonSQS>(awsOptions);
        builder.AddSqsMessaging(queues => queues.OrderCreated);
        builder.Services.AddOptions<PublishingOptions>().BindConfiguration(PublishingOptions.SectionName);
        // One sender for the process, started and stopped by the host: it flushes what is waiting when the Api stops.
        builder.Services.AddSingleton<CoalescingSender>();
        builder.Services.AddHostedService(services => services.GetRequiredService<CoalescingSender>());
        builder.Services.AddSingleton<OrderCreatedPublisher>();
        builder.Services.AddOptions<AdmissionOptions>().BindConfiguration(AdmissionOptions.SectionName);
        builder.Services.AddSingleton<OrderQueueAdmission>();
        builder.Services.AddOrdersInProgressLimit();

        builder.Services.AddOptions<IdempotencyOptions>().BindConfiguration(IdempotencyOptions.SectionName);
        builder.Services.AddSingleton<IdempotencyKeyStore>();
        builder.Services.AddExpiredRowsCleanup(sp => sp.GetRequiredService<IOptions<IdempotencyOptions>>().Value.ExpiredRows);

        builder.AddCustomerAuthentication();
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
        app.UseStatusCodePages(context => OrderProblems.ForStatus(context.HttpContext.Response.StatusCode).ExecuteAsync(context.HttpContext));
        return app;
    }
}
