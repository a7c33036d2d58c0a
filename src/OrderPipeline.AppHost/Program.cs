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
    // The AWS shape, read from infra/template.yaml (docs/lambda-shape.md).
    builder.AddOrderPipelineFunctions(orders, orderCreated, orderProcessed);
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
        // Past 5,000 orders waiting on the queue, or 64 being placed and 256 more waiting their turn, a new one is answered
        // 503 with Retry-After, not left to wait (docs/api.md).
        .WithEnvironment("Admission__MaxQueuedOrders", "5000")
        .WithEnvironment("Admission__MaxOrdersInProgress", "64")
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

// `aspire publish`, `deploy` and `destroy` to AWS through the scripts in infra/ (infra/README.md).
if (builder.ExecutionContext.IsPublishMode)
{
    builder.AddCloudFormationStack("aws", builder.AddParameter("stack-name"), builder.AddParameter("region"),
            Path.Combine(builder.AppHostDirectory, "..", "..", "infra"))
        .WithTemplateParameter("JwtIssuer", builder.AddParameter("jwt-issuer"))
        .WithTemplateParameter("JwtAudience", builder.AddParameter("jwt-audience"))
        .WithTemplateParameter("AlarmEmail", builder.AddParameter("alarm-email"));
}

builder.Build().Run();
