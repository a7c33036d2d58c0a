using Amazon.SQS;
using OrderPipeline.AppHost.Hosting;
using OrderPipeline.AppHost.Resources;
using OrderPipeline.Processor.Database;

namespace OrderPipeline.Tests.Support;

/// <summary>
/// The real MariaDB and the real SQS emulator, started by the AppHost's own resource code, without the services:
/// for tests that run the services' classes in-process against real parts.
/// </summary>
public sealed class InfrastructureFixture : IAsyncLifetime
{
    private readonly AppHostOptions _options = TestOptions.Create("infra");
    private DistributedApplication? _app;

    public PipelineDatabase Database { get; private set; } = null!;

    public SqsResource Sqs { get; private set; } = null!;

    public SqsQueueResource OrderCreated { get; private set; } = null!;

    public SqsQueueResource OrderProcessed { get; private set; } = null!;

    public IAmazonSQS SqsClient { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        var builder = new DistributedApplicationBuilder(_options);
        var orders = builder.AddMySql("mysql", "orders").WithInitializer(DatabaseMigrator.ApplyAsync);
        Sqs = builder.AddSqs("sqs");
        OrderCreated = builder.AddQueue(Sqs, "order-created", "order-created-dlq", 3);
        OrderProcessed = builder.AddQueue(Sqs, "order-processed", "order-processed-dlq", 3);
        _app = builder.Build();
        await _app.StartAsync(TestContext.Current.CancellationToken);
        Database = new PipelineDatabase(orders.ConnectionString);
        SqsClient = Sqs.CreateClient();

        // The in-process services find their SQS credentials the usual way; the emulator takes any pair.
        Environment.SetEnvironmentVariable("AWS_ACCESS_KEY_ID", "test");
        Environment.SetEnvironmentVariable("AWS_SECRET_ACCESS_KEY", "test");
    }

    /// <summary>Settings for a service hosted in-process against this infrastructure.</summary>
    public IReadOnlyDictionary<string, string> ServiceSettings(string? orderCreatedQueue = null) => new Dictionary<string, string>
    {
        ["ConnectionStrings:orders"] = Database.ConnectionString,
        ["AWS:ServiceURL"] = Sqs.ServiceUrl!,
        ["AWS:Region"] = Sqs.Region,
        ["Queues:OrderCreated"] = orderCreatedQueue ?? OrderCreated.Url!,
        ["Queues:OrderProcessed"] = OrderProcessed.Url!,
        ["Messaging:Consumer:RetryDelaySeconds"] = "1",
        ["Messaging:Consumer:WaitTimeSeconds"] = "1",
        ["Outbox:RelayIntervalSeconds"] = "1",
        ["Outbox:GraceSeconds"] = "1",
    };

    /// <summary>A fresh queue with its own DLQ (maxReceiveCount 3), so a test owns every message on it.</summary>
    public async Task<(string Url, string DeadLetterUrl)> CreateQueuePairAsync(string prefix)
    {
        var name = $"{prefix}-{Guid.NewGuid():N}"[..30];
        var dlq = (await SqsClient.CreateQueueAsync(name + "-dlq")).QueueUrl;
        var dlqArn = (await SqsClient.GetQueueAttributesAsync(dlq, ["QueueArn"])).QueueARN;
        var url = (await SqsClient.CreateQueueAsync(new Amazon.SQS.Model.CreateQueueRequest(name)
        {
            Attributes = new Dictionary<string, string>
            {
                ["VisibilityTimeout"] = "30",
                ["RedrivePolicy"] = $$"""{"deadLetterTargetArn":"{{dlqArn}}","maxReceiveCount":"3"}""",
            },
        })).QueueUrl;
        return (url, dlq);
    }

    public async ValueTask DisposeAsync()
    {
        SqsClient?.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
        }
        TestOptions.DeleteData(_options);
    }
}

[CollectionDefinition(Name)]
public sealed class InfrastructureCollection : ICollectionFixture<InfrastructureFixture>
{
    public const string Name = "real MariaDB and SQS emulator";
}
