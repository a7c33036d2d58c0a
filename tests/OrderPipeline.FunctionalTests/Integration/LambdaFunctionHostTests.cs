using System.Globalization;
using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Dapper;
using MySqlConnector;
using OrderPipeline.AppHost.Lambda;
using OrderPipeline.AppHost.Lambda.Template;
using OrderPipeline.AppHost.ProjectResources;
using OrderPipeline.FunctionalTests.Support;
using OrderPipeline.Messaging.Events;
using OrderPipeline.Testing;
using OrderPipeline.Tests.Shared;

namespace OrderPipeline.FunctionalTests.Integration;

/// <summary>
/// The AppHost's function host with a real program: the built Notifier (the program the AppHost runs, found where the
/// AppHost's build recorded it) in sandboxes with the environment infra/template.yaml gives the Notifier function, against
/// the real MariaDB and SQS emulator. What a sandbox's process does is read from the kernel (/proc): frozen is state T.
/// A slow invocation is one stuck on a row lock the test holds: the Notifier's INSERT of an order another transaction
/// has inserted and not committed waits for it.
/// </summary>
[Collection(InfrastructureCollection.Name)]
public sealed class LambdaFunctionHostTests(InfrastructureFixture infra) : IDisposable
{
    // As the AppHost gives a new sandbox (LambdaFunctionBuilderExtensions.InitTimeout): a loaded machine starts slowly.
    private static readonly TimeSpan InitTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private static readonly string ProjectPath = new Projects.OrderPipeline_Notifier().ProjectPath;

    /// <summary>A program that never gets ready: its readiness check is its health, and its database is unreachable.</summary>
    private static readonly Dictionary<string, string> NeverReady = new(StringComparer.Ordinal)
    {
        ["AWS_LWA_READINESS_CHECK_PATH"] = "/health",
        ["ConnectionStrings__orders"] = "Server=127.0.0.1;Port=1;User ID=x;Password=y;Database=orders;Connection Timeout=1",
    };

    // Each test's own: its sandboxes' processes are told from any other function's by their AWS_LAMBDA_FUNCTION_NAME.
    private readonly string _name = $"notifier-{Guid.NewGuid():N}"[..17];
    // Short: a Unix socket's path allows ~100 characters.
    private readonly string _socketDirectory = Path.Combine(Path.GetTempPath(), $"op-lh-{Guid.NewGuid():N}"[..14]);
    private readonly CapturingLogger<LambdaFunctionHostTests> _console = new();
    private readonly List<LambdaFunctionHost> _hosts = [];

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    /// <summary>
    /// The Notifier's program as the AppHost finds it (AddLambdaFunction): the executable beside the build output that
    /// the AppHost's build recorded for the project, so the test runs what the AppHost runs, in its configuration.
    /// </summary>
    private static string Program =>
        BuiltPrograms.Find(typeof(LambdaFunctionHost).Assembly, ProjectPath, out var notFound) ?? throw new InvalidOperationException(notFound);

    public void Dispose()
    {
        foreach (var host in _hosts)
        {
            host.Dispose();
        }
        // Whatever a failed test left: no sandbox outlives it.
        foreach (var pid in FunctionProcesses())
        {
            try
            {
                using var process = System.Diagnostics.Process.GetProcessById(pid);
                process.Kill();
            }
            catch (ArgumentException)
            {
                // Already gone.
            }
        }
        try
        {
            Directory.Delete(_socketDirectory, recursive: true);
        }
        catch (IOException)
        {
            // Nothing left to remove.
        }
    }

    [Fact]
    public async Task A_warm_up_starts_one_sandbox_with_the_functions_environment_records_its_init_and_leaves_it_frozen()
    {
        var host = Host(new LambdaFunctionOptions { MemorySizeMb = 512 });

        await host.WarmUpAsync(Cancellation);

        Assert.Equal(1, host.Statistics.ColdStarts);
        Assert.True(host.Statistics.LastInit > TimeSpan.Zero, "no init time was recorded");
        Assert.Equal(0, host.Statistics.Invocations);
        var (pid, _) = Assert.Single(await SettledAsync(host, frozen: 1));
        await FrozenAsync(pid);
        Assert.Equal([pid], FunctionProcesses());
        // The template's variables, Lambda's own, and the adapter's port as a socket of the sandbox's own.
        var environment = EnvironmentOf(pid);
        Assert.Equal("/alive", environment["AWS_LWA_READINESS_CHECK_PATH"]);
        Assert.Equal("/events", environment["AWS_LWA_PASS_THROUGH_PATH"]);
        Assert.Equal("500-599", environment["AWS_LWA_ERROR_STATUS_CODES"]);
        Assert.Equal("false", environment["Messaging__Consumer__Enabled"]);
        // The local database, with the template's client settings (its timeouts nest inside the function's).
        Assert.Equal(infra.Database.ConnectionString + ";Connect Timeout=5;Default Command Timeout=5;Maximum Pool Size=2",
            environment["ConnectionStrings__orders"]);
        Assert.Equal(_name, environment["AWS_LAMBDA_FUNCTION_NAME"]);
        Assert.Equal("512", environment["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"]);
        Assert.True(environment.ContainsKey("AWS_LAMBDA_RUNTIME_API"), "the sandbox lacks AWS_LAMBDA_RUNTIME_API");
        Assert.StartsWith("http://unix:" + _socketDirectory + "/", environment["ASPNETCORE_URLS"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_invocation_thaws_the_warm_sandbox_answers_with_the_programs_body_and_freezes_it_again()
    {
        var host = Host(new LambdaFunctionOptions());
        await host.WarmUpAsync(Cancellation);
        var (pid, _) = Assert.Single(host.Sandboxes());
        var orderId = Guid.CreateVersion7().ToString();

        var result = await host.InvokeAsync(Notification("m-1", orderId), Cancellation);

        Assert.True(result.Outcome == LambdaInvocationOutcome.Succeeded, Describe(result));
        Assert.Equal(200, result.StatusCode);
        Assert.Empty(JsonDocument.Parse(result.BodyText).RootElement.GetProperty("batchItemFailures").EnumerateArray());
        Assert.Equal(1, await infra.Database.CountAsync("SELECT COUNT(*) FROM notifications WHERE order_id = @orderId", new { orderId }));
        // The same sandbox, no second init, frozen again.
        Assert.Equal(1, host.Statistics.ColdStarts);
        Assert.Equal((1, 0), (host.Statistics.Invocations, host.Statistics.Errors));
        Assert.Equal([(pid, true)], await SettledAsync(host, frozen: 1));
        await FrozenAsync(pid);
    }

    [Fact]
    public async Task An_invocations_spans_and_logs_reach_the_collector_before_its_sandbox_is_frozen()
    {
        // A collector the exporters would reach only every ten minutes on their own: only the telemetry extension's
        // flush, which holds the freeze, can send the invocation's telemetry before the sandbox stops.
        await using var collector = await OtlpCollector.StartAsync(Cancellation);
        var host = Host(new LambdaFunctionOptions(), new Dictionary<string, string>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = collector.Endpoint.ToString().TrimEnd('/'),
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_SERVICE_NAME"] = _name,
            ["OTEL_BSP_SCHEDULE_DELAY"] = "600000",
            ["OTEL_BLRP_SCHEDULE_DELAY"] = "600000",
            ["OTEL_METRIC_EXPORT_INTERVAL"] = "600000",
        });
        var invocations = new System.Collections.Concurrent.ConcurrentQueue<System.Diagnostics.Activity>();
        using var listener = new System.Diagnostics.ActivityListener
        {
            ShouldListenTo = source => source.Name == "OrderPipeline.AppHost.Lambda." + _name,
            Sample = (ref System.Diagnostics.ActivityCreationOptions<System.Diagnostics.ActivityContext> _) =>
                System.Diagnostics.ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = invocations.Enqueue,
        };
        System.Diagnostics.ActivitySource.AddActivityListener(listener);
        await host.WarmUpAsync(Cancellation);
        var (pid, _) = Assert.Single(host.Sandboxes());
        collector.Clear();
        var orderId = Guid.CreateVersion7().ToString();

        var result = await host.InvokeAsync(Notification("m-telemetry", orderId), Cancellation);
        Assert.True(result.Outcome == LambdaInvocationOutcome.Succeeded, Describe(result));
        Assert.Equal([(pid, true)], await SettledAsync(host, frozen: 1));
        await FrozenAsync(pid);

        Assert.True(collector.Spans.Any(s => s.Service == _name),
            $"no spans of {_name} reached the collector before the freeze (it got {collector.Spans.Count} spans, {collector.Logs.Count} log records)");
        Assert.NotEmpty(collector.Logs);
        Assert.True(host.Statistics.LastExtensions > TimeSpan.Zero, "the sandbox was not held for its extension");
        // The invocation is a span of its own, named after the function, and the program's spans are its children.
        var invocation = Assert.Single(invocations);
        Assert.Equal(_name, invocation.DisplayName);
        Assert.Equal("other", invocation.GetTagItem("faas.trigger"));
        Assert.Equal(false, invocation.GetTagItem("faas.coldstart"));
        Assert.False(string.IsNullOrEmpty(invocation.GetTagItem("faas.invocation_id") as string));
        Assert.True(collector.Spans.Any(s => s.ParentSpanId == invocation.SpanId.ToHexString()),
            "no span of the program has the invocation's span as its parent");
    }

    [Fact]
    public async Task A_status_among_the_error_status_codes_is_a_function_error_and_the_sandbox_survives_it()
    {
        var host = Host(new LambdaFunctionOptions());
        await host.WarmUpAsync(Cancellation);
        var (pid, _) = Assert.Single(host.Sandboxes());

        // A scheduled invocation of a task the Notifier does not have: its 500, which 500-599 counts as an error.
        var result = await host.InvokeAsync(LambdaRequest.Event(host.PassThroughPath, """{"orderpipeline":"no-such-task"}"""), Cancellation);

        Assert.True(result.Outcome == LambdaInvocationOutcome.FunctionError, Describe(result));
        Assert.Equal(500, result.StatusCode);
        Assert.Contains("no such task", result.BodyText, StringComparison.Ordinal);
        Assert.Equal((1, 1, 0), (host.Statistics.Invocations, host.Statistics.Errors, host.Statistics.Timeouts));
        Assert.Equal([(pid, true)], await SettledAsync(host, frozen: 1));
        await FrozenAsync(pid);

        // A 4xx is the program's answer, not an error.
        var notFound = await host.InvokeAsync(new LambdaRequest(HttpMethod.Get, "/no-such-path", [], []), Cancellation);
        Assert.True(notFound.Outcome == LambdaInvocationOutcome.Succeeded && notFound.StatusCode == 404, Describe(notFound));
        Assert.Equal(1, host.Statistics.ColdStarts);
    }

    [Fact]
    public async Task An_invocation_past_the_timeout_kills_its_sandbox_and_the_next_one_starts_a_new_sandbox()
    {
        // Long enough for a fresh sandbox's first invocation on a loaded machine, short for a test.
        var host = Host(new LambdaFunctionOptions { Timeout = TimeSpan.FromSeconds(5) });
        await host.WarmUpAsync(Cancellation);
        var (pid, _) = Assert.Single(host.Sandboxes());
        var orderId = Guid.CreateVersion7().ToString();
        LambdaInvocationResult result;
        await using (await HoldNotificationRowAsync(orderId))
        {
            var stuck = host.InvokeAsync(Notification("m-stuck", orderId), Cancellation);
            await StuckOnTheLockAsync();

            result = await stuck;
        }

        Assert.True(result.Outcome == LambdaInvocationOutcome.TimedOut, Describe(result));
        await GoneAsync(pid);
        Assert.Empty(host.Sandboxes());
        Assert.Equal((1, 1, 1), (host.Statistics.Invocations, host.Statistics.Errors, host.Statistics.Timeouts));

        var next = await host.InvokeAsync(Notification("m-next", Guid.CreateVersion7().ToString()), Cancellation);

        Assert.True(next.Outcome == LambdaInvocationOutcome.Succeeded, Describe(next));
        Assert.Equal(2, host.Statistics.ColdStarts);
        var (replacement, _) = Assert.Single(await SettledAsync(host, frozen: 1));
        Assert.NotEqual(pid, replacement);
        await FrozenAsync(replacement);
    }

    [Fact]
    public async Task With_a_reserved_concurrency_of_1_an_invocation_while_another_runs_is_throttled()
    {
        var host = Host(new LambdaFunctionOptions { ReservedConcurrency = 1, Timeout = TimeSpan.FromSeconds(60) });
        await host.WarmUpAsync(Cancellation);
        var (pid, _) = Assert.Single(host.Sandboxes());
        var orderId = Guid.CreateVersion7().ToString();
        Task<LambdaInvocationResult> first;
        LambdaInvocationResult second;
        await using (await HoldNotificationRowAsync(orderId))
        {
            first = host.InvokeAsync(Notification("m-first", orderId), Cancellation);
            await StuckOnTheLockAsync();
            Assert.Equal([(pid, false)], host.Sandboxes());

            second = await host.InvokeAsync(Notification("m-second", Guid.CreateVersion7().ToString()), Cancellation);
        }

        Assert.True(second.Outcome == LambdaInvocationOutcome.Throttled, Describe(second));
        Assert.Equal(1, host.Statistics.Throttles);
        // The lock released, the first one finishes in its sandbox; the cap started no other.
        var done = await first;
        Assert.True(done.Outcome == LambdaInvocationOutcome.Succeeded, Describe(done));
        Assert.Equal((2, 1, 0), (host.Statistics.Invocations, host.Statistics.Throttles, host.Statistics.Errors));
        Assert.Equal(1, host.Statistics.ColdStarts);
        Assert.Equal([(pid, true)], await SettledAsync(host, frozen: 1));
    }

    [Fact]
    public async Task A_sandbox_killed_while_frozen_is_replaced_on_the_next_invocation_which_succeeds()
    {
        var host = Host(new LambdaFunctionOptions());
        await host.WarmUpAsync(Cancellation);
        var (pid, _) = Assert.Single(host.Sandboxes());
        await FrozenAsync(pid);

        using (var process = System.Diagnostics.Process.GetProcessById(pid))
        {
            process.Kill();
        }
        await GoneAsync(pid);
        var result = await host.InvokeAsync(Notification("m-1", Guid.CreateVersion7().ToString()), Cancellation);

        Assert.True(result.Outcome == LambdaInvocationOutcome.Succeeded, Describe(result));
        Assert.Equal(2, host.Statistics.ColdStarts);
        Assert.Equal((1, 0), (host.Statistics.Invocations, host.Statistics.Errors));
        var (replacement, _) = Assert.Single(host.Sandboxes());
        Assert.NotEqual(pid, replacement);
        await FrozenAsync(replacement);
    }

    [Fact]
    public async Task A_sandbox_idle_longer_than_the_idle_reclaim_time_is_reclaimed()
    {
        var host = Host(new LambdaFunctionOptions { IdleReclaim = TimeSpan.FromSeconds(1) });
        await host.WarmUpAsync(Cancellation);
        var (pid, _) = Assert.Single(host.Sandboxes());

        await GoneAsync(pid);

        await Eventually.UntilAsync(() => host.Sandboxes().Count == 0, Patience, () => $"no sandboxes; still {host.Sandboxes().Count}");
        Assert.Empty(FunctionProcesses());
    }

    [Fact]
    public async Task Disposing_the_host_kills_every_sandbox_the_frozen_ones_and_a_busy_one()
    {
        // The busy invocation must stay on the held row while two more sandboxes start, however slowly: with the
        // template's 5 s command timeout it would end first on a loaded machine, and its sandbox would be frozen too.
        var database = new MySqlConnector.MySqlConnectionStringBuilder(FunctionEnvironment()["ConnectionStrings__orders"]) { DefaultCommandTimeout = 60 };
        var host = Host(new LambdaFunctionOptions { Timeout = TimeSpan.FromSeconds(60) },
            new Dictionary<string, string> { ["ConnectionStrings__orders"] = database.ConnectionString });
        await host.WarmUpAsync(Cancellation);
        var orderId = Guid.CreateVersion7().ToString();
        await using var held = await HoldNotificationRowAsync(orderId);
        var busy = host.InvokeAsync(Notification("m-busy", orderId), Cancellation);
        await StuckOnTheLockAsync();
        await host.WarmUpAsync(Cancellation);
        await host.WarmUpAsync(Cancellation);
        var sandboxes = await SettledAsync(host, frozen: 2);
        Assert.Equal([false, true, true], sandboxes.Select(s => s.Frozen).Order());
        Assert.Equal(sandboxes.Select(s => s.ProcessId).Order(), FunctionProcesses().Order());

        host.Dispose();

        foreach (var (pid, _) in sandboxes)
        {
            await GoneAsync(pid);
        }
        Assert.Empty(FunctionProcesses());
        Assert.Empty(host.Sandboxes());
        // The invocation whose sandbox went with the host ends at once, as when the AppHost stops: not as a timeout.
        try
        {
            var result = await busy.WaitAsync(Patience, Cancellation);
            Assert.True(result.Outcome == LambdaInvocationOutcome.Crashed, Describe(result));
        }
        catch (OperationCanceledException)
        {
            // The host's end, as the AppHost's stop is.
        }
        Assert.Equal(0, host.Statistics.Timeouts);
        Assert.DoesNotContain(_console.Entries, e => e.Message.Contains("passed the function's timeout", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Disposing_the_host_while_a_sandbox_starts_ends_that_sandbox_too()
    {
        var host = Host(new LambdaFunctionOptions(), NeverReady);
        var warmUp = host.WarmUpAsync(Cancellation);
        await Eventually.UntilAsync(() => FunctionProcesses().Count == 1, Patience, () => "the sandbox's process");
        var pid = Assert.Single(FunctionProcesses());

        host.Dispose();

        // Long before the init timeout (60 s) would end it.
        await GoneAsync(pid);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => warmUp);
        Assert.Empty(host.Sandboxes());
        Assert.Equal(0, host.Statistics.ColdStarts);
    }

    [Fact]
    public async Task A_start_canceled_before_the_program_is_ready_leaves_no_process_behind()
    {
        var host = Host(new LambdaFunctionOptions(), NeverReady);
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(Cancellation);
        var warmUp = host.WarmUpAsync(stopping.Token);
        await Eventually.UntilAsync(() => FunctionProcesses().Count == 1, Patience, () => "the sandbox's process");
        var pid = Assert.Single(FunctionProcesses());

        // As when the AppHost stops during a function's warm-up.
        await stopping.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => warmUp);
        await GoneAsync(pid);
        Assert.Empty(host.Sandboxes());
        Assert.Equal(0, host.Statistics.ColdStarts);
    }

    private LambdaFunctionHost Host(LambdaFunctionOptions options, IReadOnlyDictionary<string, string>? overrides = null)
    {
        var environment = FunctionEnvironment();
        foreach (var (name, value) in overrides ?? new Dictionary<string, string>())
        {
            environment[name] = value;
        }
        var host = new LambdaFunctionHost(new LambdaFunctionResource(_name, Program, Path.GetDirectoryName(ProjectPath)!, options),
            environment, _console, _socketDirectory, LambdaFunctionBuilderExtensions.LocalAccountConcurrency, InitTimeout);
        _hosts.Add(host);
        return host;
    }

    /// <summary>
    /// The Notifier function's variables as the AppHost resolves infra/template.yaml (the local queues and connection
    /// string bound in), with what its queue references add (the emulator's address and a key pair).
    /// </summary>
    private Dictionary<string, string> FunctionEnvironment()
    {
        var settings = infra.ServiceSettings();
        var shape = LambdaTemplate.Load(Path.Combine(RepositoryRoot.Path, "infra", "template.yaml"), new LambdaTemplateBindings
        {
            Region = SqsEmulatorResource.Region,
            ResourceRefs = new Dictionary<string, string>
            {
                ["OrderCreatedQueue"] = settings["Queues:OrderCreated"],
                ["OrderProcessedQueue"] = settings["Queues:OrderProcessed"],
            },
            ConnectionStrings = infra.Database.ConnectionString,
        });
        return new Dictionary<string, string>(shape.Function("NotifierFunction").Environment, StringComparer.Ordinal)
        {
            ["AWS__ServiceURL"] = settings["AWS:ServiceURL"],
            ["AWS_ACCESS_KEY_ID"] = "test",
            ["AWS_SECRET_ACCESS_KEY"] = "test",
        };
    }

    private static LambdaRequest Notification(string messageId, string orderId)
    {
        var settled = JsonSerializer.Serialize(
            new OrderProcessed(orderId, "host-tests", OrderStatus.Processed, DateTime.UtcNow, DateTime.UtcNow.AddSeconds(-1), null),
            EventJsonContext.Default.OrderProcessed);
        return LambdaRequest.Event("/events", LambdaEvents.Sqs("order-processed", (messageId, settled)));
    }

    /// <summary>
    /// Inserts the order's notification in a transaction left open until disposed (then rolled back): the Notifier's own
    /// INSERT of that order waits on the row lock meanwhile.
    /// </summary>
    private async Task<IAsyncDisposable> HoldNotificationRowAsync(string orderId)
    {
        var connection = new MySqlConnection(infra.Database.ConnectionString);
        await connection.OpenAsync(Cancellation);
        var transaction = await connection.BeginTransactionAsync(Cancellation);
        await connection.ExecuteAsync(
            "INSERT INTO notifications (order_id, status, notified_at) VALUES (@orderId, 'PROCESSED', UTC_TIMESTAMP(6))", new { orderId }, transaction);
        return new HeldRow(connection, transaction);
    }

    /// <summary>Until a transaction waits on a lock: the invocation reached the held row and is stuck there.</summary>
    private Task StuckOnTheLockAsync() =>
        Eventually.AssertAsync(
            async () => await infra.Server.RootAsync("SELECT COUNT(*) FROM information_schema.INNODB_TRX WHERE trx_state = 'LOCK WAIT'") != "0",
            Patience, "the invocation to wait on the held row");

    /// <summary>The processes of this test's function: those whose environment names it (a zombie's environment is empty).</summary>
    private List<int> FunctionProcesses()
    {
        var marker = "AWS_LAMBDA_FUNCTION_NAME=" + _name;
        var pids = new List<int>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                && ReadProc(pid, "environ") is { } environ && environ.Split('\0').Contains(marker, StringComparer.Ordinal))
            {
                pids.Add(pid);
            }
        }
        return pids;
    }

    private static Dictionary<string, string> EnvironmentOf(int pid) =>
        (ReadProc(pid, "environ") ?? "").Split('\0', StringSplitOptions.RemoveEmptyEntries)
            .Select(v => v.Split('=', 2))
            .ToDictionary(v => v[0], v => v.Length == 2 ? v[1] : "", StringComparer.Ordinal);

    /// <summary>The process's state, field 3 of /proc/&lt;pid&gt;/stat (T: stopped), or null when there is no such process.</summary>
    private static char? StateOf(int pid) =>
        // After the command name, which is in parentheses and may hold spaces or parentheses of its own.
        ReadProc(pid, "stat") is { } stat ? stat[(stat.LastIndexOf(')') + 2)..][0] : null;

    private static string? ReadProc(int pid, string file)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/{file}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The sandboxes once <paramref name="frozen"/> of them are frozen (the host freezes one shortly after its invocation).</summary>
    private static Task<IReadOnlyList<(int ProcessId, bool Frozen)>> SettledAsync(LambdaFunctionHost host, int frozen) =>
        Eventually.GetAsync(() => Task.FromResult(host.Sandboxes()), s => s.Count(x => x.Frozen) == frozen, Patience,
            $"{frozen} frozen sandboxes");

    private static Task FrozenAsync(int pid) =>
        Eventually.UntilAsync(() => StateOf(pid) == 'T', Patience, () => $"process {pid} to be stopped (T); it is {StateOf(pid)?.ToString() ?? "gone"}");

    /// <summary>Until the process has ended and been reaped.</summary>
    private static Task GoneAsync(int pid) =>
        Eventually.UntilAsync(() => StateOf(pid) is null, Patience, () => $"process {pid} to end; it is {StateOf(pid)}");

    private string Describe(LambdaInvocationResult result) =>
        $"{result.Outcome} {result.StatusCode}: {result.BodyText}\n"
        + string.Join('\n', _console.Entries.TakeLast(40).Select(e => e.Message));

    private sealed class HeldRow(MySqlConnection connection, MySqlTransaction transaction) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await transaction.RollbackAsync();
            await transaction.DisposeAsync();
            await connection.DisposeAsync();
        }
    }
}
