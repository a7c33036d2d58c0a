using Amazon.SQS;
using OrderPipeline.Testing;
using OrderPipeline.Tests.Shared;

namespace OrderPipeline.FunctionalTests.Support;

/// <summary>
/// The real MariaDB and the real SQS emulator, started from the AppHost's app model without the services (the
/// migration step included, so the schema is there): for tests that host the services in-process against real parts.
/// </summary>
public sealed class InfrastructureFixture : IAsyncLifetime
{
    private PipelineSystem? _host;

    public PipelineDatabase Database { get; private set; } = null!;

    public IAmazonSQS SqsClient { get; private set; } = null!;

    /// <summary>Root's hand on the server, to stage outages. Tests that use it restore what they change.</summary>
    public DatabaseServerControl Server { get; private set; } = null!;

    private string SqsServiceUrl { get; set; } = "";

    private string OrderCreatedUrl { get; set; } = "";

    private string OrderProcessedUrl { get; set; } = "";

    public async ValueTask InitializeAsync()
    {
        _host = await PipelineSystem.StartAsync(new PipelineSystemOptions { Services = false });
        Database = new PipelineDatabase(_host.ConnectionString);
        Server = new DatabaseServerControl(_host.MySqlHome);
        SqsClient = _host.CreateSqsClient();
        SqsServiceUrl = _host.SqsServiceUrl.ToString().TrimEnd('/');
        OrderCreatedUrl = (await SqsClient.GetQueueUrlAsync("order-created")).QueueUrl;
        OrderProcessedUrl = (await SqsClient.GetQueueUrlAsync("order-processed")).QueueUrl;

        // The in-process services find their SQS credentials the usual way; the emulator takes any pair.
        Environment.SetEnvironmentVariable("AWS_ACCESS_KEY_ID", "test");
        Environment.SetEnvironmentVariable("AWS_SECRET_ACCESS_KEY", "test");
    }

    /// <summary>Settings for a service hosted in-process against this infrastructure.</summary>
    public IReadOnlyDictionary<string, string> ServiceSettings(string? orderCreatedQueue = null) => new Dictionary<string, string>
    {
        ["ConnectionStrings:orders"] = Database.ConnectionString,
        ["AWS:ServiceURL"] = SqsServiceUrl,
        ["AWS:Region"] = "us-east-1",
        ["Queues:OrderCreated"] = orderCreatedQueue ?? OrderCreatedUrl,
        ["Queues:OrderProcessed"] = OrderProcessedUrl,
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
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class InfrastructureCollection : ICollectionFixture<InfrastructureFixture>
{
    public const string Name = "real MariaDB and SQS emulator";
}
