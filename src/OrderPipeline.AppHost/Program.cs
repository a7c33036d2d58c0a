var builder = DistributedApplication.CreateBuilder(args);
var settings = builder.Configuration.GetSection("AppHost");
var dataDirectory = Path.GetFullPath(settings["DataDirectory"] ?? Path.Combine(builder.AppHostDirectory, "..", "..", ".orderpipeline"));

var mysql = builder.AddMySql("mysql", port: settings.GetValue<int?>("MySqlPort"))
    .WithDataDirectory(Path.Combine(dataDirectory, "mysql"), reset: settings.GetValue<bool>("Reset"))
    .WithOutageCommands()
    .WithAutoRestart();
var orders = mysql.AddDatabase("orders");

var sqs = builder.AddSqsEmulator("sqs", port: settings.GetValue<int?>("SqsPort"))
    .WithAutoRestart();
if (settings.GetValue<bool>("SqsPersistence"))
{
    // Messages then survive the emulator's restarts, at a price in speed (docs/performance.md).
    sqs.WithDataDirectory(Path.Combine(dataDirectory, "sqs"));
}
var orderCreatedDlq = sqs.AddQueue("order-created-dlq");
var orderCreated = sqs.AddQueue("order-created").WithDeadLetterQueue(orderCreatedDlq, maxReceiveCount: 3);
var orderProcessedDlq = sqs.AddQueue("order-processed-dlq");
var orderProcessed = sqs.AddQueue("order-processed").WithDeadLetterQueue(orderProcessedDlq, maxReceiveCount: 3);

if (settings.GetValue<bool>("Lambda"))
{
    // The AWS shape (docs/lambda-shape.md): the functions, their event sources, the HTTP API on the Api's port and the
    // relay's schedule, read from infra/template.yaml; the migration step is one invocation of its function.
    builder.AddLambdaShape(new LambdaShapeSettings
    {
        TemplatePath = Path.Combine(builder.AppHostDirectory, "..", "..", "infra", "template.yaml"),
        Projects = new Dictionary<string, (string, IProjectMetadata)>(StringComparer.Ordinal)
        {
            // The names of the three Lambdas of the system this project grew from.
            ["OrderPipeline.Api"] = ("create-order", new Projects.OrderPipeline_Api()),
            ["OrderPipeline.Processor"] = ("order-processor", new Projects.OrderPipeline_Processor()),
            ["OrderPipeline.Notifier"] = ("notification-sender", new Projects.OrderPipeline_Notifier()),
            ["OrderPipeline.Migrations"] = ("migrations", new Projects.OrderPipeline_Migrations()),
        },
        Queues = new Dictionary<string, IResourceBuilder<SqsQueueResource>>(StringComparer.Ordinal)
        {
            ["OrderCreatedQueue"] = orderCreated,
            ["OrderCreatedDeadLetterQueue"] = orderCreatedDlq,
            ["OrderProcessedQueue"] = orderProcessed,
            ["OrderProcessedDeadLetterQueue"] = orderProcessedDlq,
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
else
{
    // The versioned migrations, applied before any service runs (the same step a deployment to AWS runs), and the
    // sample products, which a laptop wants and production does not.
    var migrations = builder.AddProject<Projects.OrderPipeline_Migrations>("migrations")
        .WithBuiltProgram()
        .WithoutHttpsCertificate()
        .WithEnvironment("Migrations__SeedSampleData", "true")
        .WithReference(orders)
        .WaitFor(orders);
    orders.WithResetCommand(migrations);

    // The services: each runs its built program, is healthy on /health, starts after the migrations, restarts on a crash.
    builder.AddProject<Projects.OrderPipeline_Api>("api")
        // Not proxied: the clients' requests reach Kestrel directly instead of through DCP's proxy process.
        .WithHttpEndpoint(port: settings.GetValue<int?>("ApiPort"), name: "http", isProxied: false)
        .AsService(migrations)
        .WithReference(orders).WithReference(orderCreated)
        .WaitFor(orderCreated);

    // One Processor by default; AppHost:Processors runs more side by side, as several instances would run in AWS.
    for (var instance = 1; instance <= Math.Max(1, settings.GetValue<int?>("Processors") ?? 1); instance++)
    {
        builder.AddProject<Projects.OrderPipeline_Processor>(instance == 1 ? "processor" : $"processor-{instance}")
            .WithHttpEndpoint(name: "http")
            .AsService(migrations)
            .WithReference(orders).WithReference(orderCreated).WithReference(orderProcessed)
            .WaitFor(orderCreated).WaitFor(orderProcessed);
    }

    builder.AddProject<Projects.OrderPipeline_Notifier>("notifier")
        .WithHttpEndpoint(name: "http")
        .AsService(migrations)
        .WithReference(orders).WithReference(orderProcessed)
        .WaitFor(orderProcessed);
}

// Deploying to AWS (infra/README.md): `aspire publish` packages the functions, `aspire deploy` deploys them with
// infra/template.yaml, `aspire destroy` deletes the stack, each through the scripts in infra/. Asked for only then.
if (builder.ExecutionContext.IsPublishMode)
{
    builder.AddCloudFormationStack("aws", builder.AddParameter("stack-name"), builder.AddParameter("region"),
            Path.Combine(builder.AppHostDirectory, "..", "..", "infra"))
        .WithTemplateParameter("JwtIssuer", builder.AddParameter("jwt-issuer"))
        .WithTemplateParameter("JwtAudience", builder.AddParameter("jwt-audience"))
        .WithTemplateParameter("AlarmEmail", builder.AddParameter("alarm-email"));
}

builder.Build().Run();
