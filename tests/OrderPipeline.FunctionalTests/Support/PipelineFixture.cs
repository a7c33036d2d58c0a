using System.Collections.Concurrent;
using System.Diagnostics;
using Amazon.SQS;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;
using OrderPipeline.Testing;
using OrderPipeline.Tests.Shared;

namespace OrderPipeline.FunctionalTests.Support;

/// <summary>
/// The whole system, started from the AppHost's app model by Aspire.Hosting.Testing: one per test collection. The
/// services run as long-lived processes (the laptop shape), or as Lambda functions (<see cref="LambdaPipelineFixture"/>).
/// </summary>
public class PipelineFixture : IAsyncLifetime
{
    private readonly ConcurrentQueue<string> _notifierLines = new();
    private readonly CancellationTokenSource _stopping = new();
    private PipelineSystem? _host;

    public DistributedApplication App => _host!.App;

    public HttpClient Api { get; private set; } = null!;

    public PipelineDatabase Database { get; private set; } = null!;

    public IAmazonSQS SqsClient { get; private set; } = null!;

    /// <summary>The services run as Lambda functions, invoked by their event sources, the HTTP API and the schedule.</summary>
    public virtual bool Lambda => false;

    /// <summary>The resource that settles orders: the Processor, or its function.</summary>
    public string Processor => Lambda ? "order-processor" : "processor";

    /// <summary>The resource that writes the notifications: the Notifier, or its function.</summary>
    public string Notifier => Lambda ? "notification-sender" : "notifier";

    public async ValueTask InitializeAsync()
    {
        _host = await PipelineSystem.StartAsync(new PipelineSystemOptions { Lambda = Lambda });
        Api = Lambda
            // Behind the HTTP API, throttles (the stage's, the function's concurrency) answer a burst: a client retries.
            ? new HttpClient(new ThrottledRequestRetryHandler()) { BaseAddress = App.GetEndpoint("api", "http") }
            : App.CreateHttpClient("api", "http");
        Database = new PipelineDatabase(_host.ConnectionString);
        SqsClient = _host.CreateSqsClient();
        _ = CollectNotifierOutputAsync();
        await WarmUpAsync();
    }

    /// <summary>Brings the system to the state the tests expect before the first one runs.</summary>
    protected virtual Task WarmUpAsync() => Task.CompletedTask;

    /// <summary>The Notifier's log lines announcing this order, from its console output as the AppHost sees it.</summary>
    public IReadOnlyList<string> NotificationsOf(string orderId) =>
        [.. _notifierLines.Where(l => l.Contains("OrderNotification", StringComparison.Ordinal) && l.Contains(orderId, StringComparison.Ordinal))];

    public async Task<string> QueueUrlAsync(string queueName) =>
        (await SqsClient.GetQueueUrlAsync(queueName)).QueueUrl;

    public Task<IReadOnlyList<string>> ConsoleOfAsync(string resourceName) => _host!.ConsoleOfAsync(resourceName);

    /// <summary>The process behind a project or executable resource, as DCP reports it (null while it has none).</summary>
    public static int? ProcessIdOf(ResourceEvent resource) =>
        resource.Snapshot.Properties.FirstOrDefault(p => p.Name == "executable.pid")?.Value is { } pid
            ? Convert.ToInt32(pid, System.Globalization.CultureInfo.InvariantCulture)
            : null;

    /// <summary>The resource's current state (the notification service replays it to a new watcher first).</summary>
    public Task<ResourceEvent> CurrentStateAsync(string resourceName) =>
        App.ResourceNotifications.WaitForResourceAsync(resourceName, _ => true, TestContext.Current.CancellationToken);

    public IResource Resource(string resourceName) =>
        App.Services.GetRequiredService<DistributedApplicationModel>().Resources.Single(r => r.Name == resourceName);

    public Task<ExecuteCommandResult> ExecuteCommandAsync(string resourceName, string command) =>
        App.Services.GetRequiredService<ResourceCommandService>().ExecuteCommandAsync(Resource(resourceName), command, TestContext.Current.CancellationToken);

    /// <summary>
    /// SIGKILLs what settles orders, mid-stream: the Processor's process (the AppHost's supervision starts it again), or
    /// every sandbox of its function (their batches fail; the next invocation starts a new one). Returns the processes.
    /// </summary>
    public async Task<IReadOnlyList<int>> KillProcessorAsync()
    {
        var state = await CurrentStateAsync(Processor);
        IReadOnlyList<int> processes = Lambda
            ? [.. (state.Snapshot.Properties.FirstOrDefault(p => p.Name == "lambda.sandbox.pids")?.Value as string ?? "")
                .Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(p => int.Parse(p, System.Globalization.CultureInfo.InvariantCulture))]
            : [ProcessIdOf(state)!.Value];
        foreach (var process in processes)
        {
            Kill(process);
        }
        return processes;
    }

    public static void Kill(int processId)
    {
        using var process = Process.GetProcessById(processId);
        process.Kill(); // SIGKILL: no shutdown hooks, no goodbyes.
    }

    private async Task CollectNotifierOutputAsync()
    {
        try
        {
            await foreach (var batch in App.Services.GetRequiredService<ResourceLoggerService>()
                .WatchAsync(Resource(Notifier)).WithCancellation(_stopping.Token))
            {
                foreach (var line in batch)
                {
                    _notifierLines.Enqueue(line.Content);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The fixture is going away.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        Api?.Dispose();
        SqsClient?.Dispose();
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
        _stopping.Dispose();
    }
}

/// <summary>The whole system in its AWS shape: Lambda functions in sandboxes, as <c>bash eng/run.sh --lambda</c> runs it.</summary>
public sealed class LambdaPipelineFixture : PipelineFixture
{
    public override bool Lambda => true;

    /// <summary>
    /// Starts the Api function's sandboxes up to its reserved concurrency, as a deployed system that has served traffic
    /// has them. A cold start here compiles the program as it runs (AWS runs it precompiled, ReadyToRun), and ten at
    /// once on a busy 2-core machine can pass API Gateway's 30 s, which a burst test would read as a lost answer.
    /// </summary>
    protected override async Task WarmUpAsync()
    {
        var function = (LambdaFunctionResource)Resource("create-order");
        var concurrency = function.Options.ReservedConcurrency ?? 1;
        await Eventually.AssertAsync(async () =>
        {
            await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
            {
                using var response = await Api.GetAsync($"/api/orders/{Guid.NewGuid()}", TestContext.Current.CancellationToken);
            }));
            var sandboxes = (await CurrentStateAsync(function.Name)).Snapshot.Properties
                .FirstOrDefault(p => p.Name == "lambda.sandbox.pids")?.Value as string ?? "";
            return sandboxes.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length >= concurrency;
        }, TimeSpan.FromMinutes(3), "the Api function's sandboxes to start");
    }
}

[CollectionDefinition(Name)]
public sealed class PipelineCollection : ICollectionFixture<PipelineFixture>
{
    public const string Name = "whole system through the AppHost";
}

/// <summary>
/// Alone, after the parallel collections, as the fault run: the Lambda shape runs some twenty processes (a sandbox per
/// concurrent invocation), and beside the other systems on two cores its Api's sends to the emulator ran out of time.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LambdaPipelineCollection : ICollectionFixture<LambdaPipelineFixture>
{
    public const string Name = "whole system through the AppHost, Lambda shape";
}
