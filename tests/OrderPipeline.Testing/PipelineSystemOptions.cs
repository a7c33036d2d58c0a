using Aspire.Hosting.Testing;

namespace OrderPipeline.Testing;

/// <summary>How <see cref="PipelineSystem"/> starts the system. The defaults are the tests'.</summary>
public sealed record PipelineSystemOptions
{
    /// <summary>
    /// Quick retries and relay passes in the services: a test, or the fault run, waits on them after every failure it
    /// provokes. Environment variables, given to every service.
    /// </summary>
    public static IReadOnlyDictionary<string, string> QuickRetrySettings { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["Messaging__Consumer__RetryDelaySeconds"] = "1",
        ["Messaging__Consumer__WaitTimeSeconds"] = "2",
        ["Outbox__RelayIntervalSeconds"] = "1",
        ["Outbox__GraceSeconds"] = "2",
        // A relay killed between sending and marking leaves its rows leased; a test waits this long for another pass.
        ["Outbox__LeaseSeconds"] = "10",
        // The Lambda shape's outage path: a batch is sent back to its queue with this delay instead of the template's minute.
        ["Messaging__OutageRequeue__DelaySeconds"] = "2",
    };

    /// <summary>
    /// With <see cref="QuickRetries"/> in the Lambda shape: the relay's schedule and the queues' visibility timeouts
    /// (the template's minute and minutes) shortened, as AppHost arguments.
    /// </summary>
    public static IReadOnlyList<string> QuickLambdaArgs { get; } = ["--AppHost:ScheduleRate=00:00:02", "--AppHost:VisibilityTimeout=00:00:05"];

    /// <summary>
    /// For a program that drives the system and reports on it (the benchmarks, the fault run): the services keep their
    /// own retry settings, the system is <see cref="Quiet"/>, and it is stopped gracefully on dispose.
    /// </summary>
    public static PipelineSystemOptions ForProgram { get; } = new() { QuickRetries = false, Quiet = true, StopGracefully = true };

    /// <summary>
    /// The Api, the Processors and the Notifier; false keeps only MySQL, SQS and the migration step, for tests that
    /// host the services in-process.
    /// </summary>
    public bool Services { get; init; } = true;

    /// <summary>
    /// The services in their AWS shape (the AppHost's <c>AppHost:Lambda</c>): Lambda functions in sandboxes, invoked by
    /// their SQS event sources, the HTTP API (the resource "api") and the relay's schedule, as infra/template.yaml says.
    /// </summary>
    public bool Lambda { get; init; }

    /// <summary>Processor instances side by side (the AppHost's <c>AppHost:Processors</c>).</summary>
    public int Processors { get; init; } = 1;

    /// <summary>The emulator keeps its messages in SQLite (the AppHost's <c>AppHost:SqsPersistence</c>).</summary>
    public bool SqsPersistence { get; init; }

    /// <summary>The Aspire dashboard, served over plain HTTP on loopback ports of its own.</summary>
    public bool Dashboard { get; init; }

    /// <summary>Gives every service <see cref="QuickRetrySettings"/>.</summary>
    public bool QuickRetries { get; init; } = true;

    /// <summary>Environment variables given to every service after <see cref="QuickRetrySettings"/>, to compare a tuning against the defaults.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>More arguments for the AppHost, after the ones the options above make (a later value wins).</summary>
    public IReadOnlyList<string> Args { get; init; } = [];

    /// <summary>
    /// Nothing but the program's own output and work: the resources' consoles are not forwarded to the host's logger,
    /// and without a dashboard the services get no OTLP endpoint. (Aspire would still point their exporter at
    /// localhost:4317, where nothing listens: they would spend CPU on failed exports and retries.)
    /// </summary>
    public bool Quiet { get; init; }

    /// <summary>Stop every resource (the services are slow to go) before disposing, so that the next system starts on idle cores.</summary>
    public bool StopGracefully { get; init; }

    /// <summary>Changes the app model further, after the options above, before it is built.</summary>
    public Action<IDistributedApplicationTestingBuilder>? Configure { get; init; }
}
