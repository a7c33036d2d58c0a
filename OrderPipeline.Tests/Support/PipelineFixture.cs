using Amazon.SQS;
using OrderPipeline.AppHost.Hosting;
using OrderPipeline.AppHost.Resources;

namespace OrderPipeline.Tests.Support;

/// <summary>The whole system, started through the AppHost's own Program, as Aspire.Hosting.Testing does.</summary>
public sealed class PipelineFixture : IAsyncLifetime
{
    private readonly AppHostOptions _options = TestOptions.Create("system");
    private TestingApplication? _app;

    public DistributedApplication App => _app!.App;

    public HttpClient Api { get; private set; } = null!;

    public PipelineDatabase Database { get; private set; } = null!;

    public IAmazonSQS SqsClient { get; private set; } = null!;

    public SqsQueueResource OrderCreated => App.GetResource<SqsQueueResource>("order-created");

    public async ValueTask InitializeAsync()
    {
        _app = await DistributedApplicationTesting.StartAsync(typeof(SqsResource).Assembly, _options, TestContext.Current.CancellationToken);
        Api = _app.CreateHttpClient("api");
        Database = new PipelineDatabase(_app.GetConnectionString("orders"));
        SqsClient = App.GetResource<SqsResource>("sqs").CreateClient();
    }

    /// <summary>The Notifier's log lines announcing this order.</summary>
    public IReadOnlyList<string> NotificationsOf(string orderId) =>
        [.. App.GetResource("notifier").Log.Snapshot()
            .Where(l => l.Text.Contains("OrderNotification", StringComparison.Ordinal) && l.Text.Contains(orderId, StringComparison.Ordinal))
            .Select(l => l.Text)];

    public async ValueTask DisposeAsync()
    {
        Api?.Dispose();
        SqsClient?.Dispose();
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
        TestOptions.DeleteData(_options);
    }
}

[CollectionDefinition(Name)]
public sealed class PipelineCollection : ICollectionFixture<PipelineFixture>
{
    public const string Name = "whole system through the AppHost";
}
