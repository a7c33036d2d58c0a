namespace Aspire.Hosting;

/// <summary>
/// Provides the extension method that wires this system's own functions, queues and database into the AWS shape
/// (<see cref="LambdaShapeBuilderExtensions.AddLambdaShape"/>, the general part): which project each function runs,
/// which local queue each of the template's queues is, and the parameters a laptop gives the template.
/// </summary>
internal static class OrderPipelineFunctionsExtensions
{
    /// <summary>
    /// Adds the functions of infra/template.yaml (create-order, order-processor, notification-sender, the names of the
    /// three Lambdas of the system this project grew from, and the migration step), their SQS event sources, the HTTP
    /// API on the Api's port and the relay's schedule, over the given local database and queues.
    /// </summary>
    /// <param name="builder">The application builder.</param>
    /// <param name="orders">The database the functions use.</param>
    /// <param name="orderCreated">The queue the template calls <c>OrderCreatedQueue</c>.</param>
    /// <param name="orderProcessed">The queue the template calls <c>OrderProcessedQueue</c>.</param>
    public static void AddOrderPipelineFunctions(this IDistributedApplicationBuilder builder,
        IResourceBuilder<MySqlDatabaseResource> orders, IResourceBuilder<SqsQueueResource> orderCreated,
        IResourceBuilder<SqsQueueResource> orderProcessed)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(orders);
        ArgumentNullException.ThrowIfNull(orderCreated);
        ArgumentNullException.ThrowIfNull(orderProcessed);

        var settings = builder.Configuration.GetSection("AppHost");
        builder.AddLambdaShape(new LambdaShapeSettings
        {
            TemplatePath = Path.Combine(builder.AppHostDirectory, "..", "..", "infra", "template.yaml"),
            Projects = new Dictionary<string, (string, IProjectMetadata)>(StringComparer.Ordinal)
            {
                ["OrderPipeline.Api"] = ("create-order", new Projects.OrderPipeline_Api()),
                ["OrderPipeline.Processor"] = ("order-processor", new Projects.OrderPipeline_Processor()),
                ["OrderPipeline.Notifier"] = ("notification-sender", new Projects.OrderPipeline_Notifier()),
                ["OrderPipeline.Migrations"] = ("migrations", new Projects.OrderPipeline_Migrations()),
            },
            Queues = new Dictionary<string, IResourceBuilder<SqsQueueResource>>(StringComparer.Ordinal)
            {
                ["OrderCreatedQueue"] = orderCreated,
                ["OrderCreatedDeadLetterQueue"] = DeadLetterQueueOf(builder, orderCreated),
                ["OrderProcessedQueue"] = orderProcessed,
                ["OrderProcessedDeadLetterQueue"] = DeadLetterQueueOf(builder, orderProcessed),
            },
            Database = orders,
            MigrationsFunction = "MigrationsFunction",
            Parameters = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["SeedSampleData"] = "true",
                // Every order's trace locally, unless the AppHost is told to sample (as for the laptop shape).
                ["TraceSampleRatio"] = builder.Configuration["OTEL_TRACES_SAMPLER_ARG"] ?? "1.0",
                ["JwtIssuer"] = settings["JwtIssuer"] ?? "",
                ["JwtAudience"] = settings["JwtAudience"] ?? "",
            },
            ApiPort = settings.GetValue<int?>("ApiPort"),
            // For tests: shorter than the template's minute and its visibility timeouts sized to the functions' timeouts.
            ScheduleRate = settings.GetValue<TimeSpan?>("ScheduleRate"),
            VisibilityTimeout = settings.GetValue<TimeSpan?>("VisibilityTimeout"),
        });
    }

    private static IResourceBuilder<SqsQueueResource> DeadLetterQueueOf(IDistributedApplicationBuilder builder,
        IResourceBuilder<SqsQueueResource> queue) =>
        builder.CreateResourceBuilder(queue.Resource.DeadLetterQueue
            ?? throw new InvalidOperationException($"The queue '{queue.Resource.Name}' has no dead-letter queue."));
}
