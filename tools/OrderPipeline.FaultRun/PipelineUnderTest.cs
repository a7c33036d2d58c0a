using System.Diagnostics;
using System.Globalization;
using Amazon.Runtime;
using Amazon.SQS;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using OrderPipeline.Benchmarks;

namespace OrderPipeline.FaultRun;

/// <summary>
/// The whole system, started the README's way by the benchmarks' <see cref="BenchmarkSystem"/>, with the handles the
/// fault run needs on top: killing a resource's process, running a resource's commands, reading its restarts.
/// </summary>
public sealed class PipelineUnderTest : IAsyncDisposable
{
    // Quick retries and relay passes, as the tests use: the run waits on them after every fault.
    private static readonly Dictionary<string, string> Settings = new(StringComparer.Ordinal)
    {
        ["Messaging__Consumer__RetryDelaySeconds"] = "1",
        ["Messaging__Consumer__WaitTimeSeconds"] = "2",
        ["Outbox__RelayIntervalSeconds"] = "1",
        ["Outbox__GraceSeconds"] = "2",
    };

    private readonly BenchmarkSystem _system;

    private PipelineUnderTest(BenchmarkSystem system) => _system = system;

    /// <summary>The Processor resources: "processor", "processor-2", ...</summary>
    public IReadOnlyList<string> Processors => _system.Processors;

    public HttpClient Api => _system.Api;

    public string ConnectionString => _system.ConnectionString;

    public static async Task<PipelineUnderTest> StartAsync(int processors, CancellationToken cancellationToken) =>
        new(await BenchmarkSystem.StartAsync(new SystemOptions(Settings, Processors: processors), cancellationToken));

    public IAmazonSQS CreateSqsClient() => new AmazonSQSClient(new BasicAWSCredentials("test", "test"), new AmazonSQSConfig
    {
        ServiceURL = _system.SqsServiceUrl.ToString().TrimEnd('/'),
        AuthenticationRegion = "us-east-1",
    });

    public async Task<ExecuteCommandResult> ExecuteCommandAsync(string resource, string command, CancellationToken cancellationToken) =>
        await _system.App.Services.GetRequiredService<ResourceCommandService>().ExecuteCommandAsync(_system.Resource(resource), command, cancellationToken);

    /// <summary>SIGKILL the resource's process, as a crash or the OOM killer would; the AppHost's supervisor restarts it.</summary>
    /// <returns>The pid that was killed.</returns>
    public async Task<int> KillAsync(string resource, CancellationToken cancellationToken)
    {
        var state = await _system.App.ResourceNotifications.WaitForResourceAsync(resource, e => BenchmarkSystem.ProcessIdOf(e) is not null, cancellationToken);
        var pid = BenchmarkSystem.ProcessIdOf(state)!.Value;
        using var process = Process.GetProcessById(pid);
        process.Kill();
        return pid;
    }

    /// <summary>How many times the AppHost's supervisor restarted the resource (its dashboard property).</summary>
    public async Task<int> RestartsOfAsync(string resource, CancellationToken cancellationToken)
    {
        var state = await _system.App.ResourceNotifications.WaitForResourceAsync(resource, _ => true, cancellationToken);
        var value = state.Snapshot.Properties.FirstOrDefault(p => p.Name == "supervision.restarts")?.Value;
        return value is null ? 0 : Convert.ToInt32(value, CultureInfo.InvariantCulture);
    }

    public ValueTask DisposeAsync() => _system.DisposeAsync();
}
