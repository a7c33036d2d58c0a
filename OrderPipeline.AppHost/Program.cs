using OrderPipeline.AppHost.Hosting;
using OrderPipeline.AppHost.Resources;
using OrderPipeline.Processor.Database;

try
{
    var builder = DistributedApplicationBuilder.Create(args);

    var orders = builder.AddMySql("mysql", "orders")
        .WithInitializer(DatabaseMigrator.ApplyAsync);

    var sqs = builder.AddSqs("sqs");
    var orderCreated = builder.AddQueue(sqs, "order-created", deadLetterQueueName: "order-created-dlq", maxReceiveCount: 3);
    var orderProcessed = builder.AddQueue(sqs, "order-processed", deadLetterQueueName: "order-processed-dlq", maxReceiveCount: 3);

    var api = builder.AddProject("api", "OrderPipeline.Api")
        .WithHttpPort(builder.Options.ApiPort)
        .WithReference(orders)
        .WithReference(orderCreated)
        .WaitFor(orders)
        .WaitFor(sqs);

    // The workers get the Api's address the Aspire way (services__api__http__0), for links back to an order.
    builder.AddProject("processor", "OrderPipeline.Processor")
        .WithReference(orders)
        .WithReference(orderCreated)
        .WithReference(orderProcessed)
        .WithReference(api)
        .WaitFor(orders)
        .WaitFor(sqs);

    builder.AddProject("notifier", "OrderPipeline.Notifier")
        .WithReference(orders)
        .WithReference(orderProcessed)
        .WithReference(api)
        .WaitFor(orders)
        .WaitFor(sqs);

    await builder.Build().RunAsync();
    return 0;
}
catch (PrerequisiteMissingException missing)
{
    Console.Error.WriteLine(missing.Message);
    return 2;
}
catch (Exception failed) when (failed is InvalidOperationException or TimeoutException or IOException)
{
    // A resource that could not start has already told its story above; one line, not a stack trace.
    Console.Error.WriteLine("The AppHost could not start: " + failed.Message);
    return 1;
}
