using Amazon.Runtime;
using Amazon.SQS;

namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// A resource that represents SQS as the fauxqs emulator (eng/sqs-emulator), run on loopback by Node. It keeps
/// messages in memory unless given a data directory: its queues are created again each time it starts.
/// </summary>
/// <param name="name">The name of the resource.</param>
/// <param name="nodePath">The path of the <c>node</c> program that runs the emulator.</param>
/// <param name="emulatorDirectory">The folder the emulator is installed in (by <c>npm ci</c>).</param>
public sealed class SqsEmulatorResource(string name, string nodePath, string emulatorDirectory)
    : ExecutableResource(name, nodePath, emulatorDirectory)
{
    internal const string PrimaryEndpointName = "http";

    /// <summary>
    /// The region of every queue: queues are per region in SQS and in the emulator, so one region for everything.
    /// </summary>
    public const string Region = "us-east-1";

    /// <summary>Not a secret: the emulator takes any key pair, and real AWS never sees this one.</summary>
    internal static readonly BasicAWSCredentials Credentials = new("test", "test");

    private readonly List<SqsQueueResource> _queues = [];

    /// <summary>
    /// Gets the emulator's HTTP endpoint, the <c>ServiceURL</c> of the AWS SDK's SQS client.
    /// </summary>
    public EndpointReference PrimaryEndpoint => field ??= new(this, PrimaryEndpointName);

    /// <summary>
    /// Gets the queues created on the emulator, in the order they were added.
    /// </summary>
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
