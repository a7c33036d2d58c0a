using Amazon.Runtime;
using Amazon.SQS;

namespace OrderPipeline.AppHost.Sqs;

/// <summary>
/// SQS as the fauxqs emulator (eng/sqs-emulator), run on loopback by Node. It keeps messages in memory: a queue's
/// messages die with the process, its queues are created again each time it starts.
/// </summary>
public sealed class SqsEmulatorResource(string name, string nodePath, string emulatorDirectory)
    : ExecutableResource(name, nodePath, emulatorDirectory)
{
    internal const string PrimaryEndpointName = "http";

    /// <summary>Queues are per region in SQS and in the emulator: one region for everything.</summary>
    public const string Region = "us-east-1";

    /// <summary>Not a secret: the emulator takes any key pair, and real AWS never sees this one.</summary>
    internal static readonly BasicAWSCredentials Credentials = new("test", "test");

    private readonly List<SqsQueueResource> _queues = [];

    public EndpointReference PrimaryEndpoint => field ??= new(this, PrimaryEndpointName);

    public IReadOnlyList<SqsQueueResource> Queues => _queues;

    internal void AddQueue(SqsQueueResource queue) => _queues.Add(queue);

    /// <summary>A client for the AppHost's own calls (provisioning, monitoring, commands).</summary>
    internal IAmazonSQS CreateClient() => new AmazonSQSClient(Credentials, new AmazonSQSConfig
    {
        ServiceURL = PrimaryEndpoint.Url,
        AuthenticationRegion = Region,
        MaxErrorRetry = 1,
        Timeout = TimeSpan.FromSeconds(10),
    });
}
