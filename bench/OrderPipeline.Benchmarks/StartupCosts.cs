using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using OrderPipeline.Testing;

namespace OrderPipeline.Benchmarks;

/// <summary>
/// What running the system costs a developer: <c>dotnet run</c> of the AppHost as a child process, timed from launch
/// until the Api is healthy and a first order has settled, the memory of every process it started after 20 s idle,
/// and the time from Ctrl+C until no process of it is left. Linux only: it reads /proc.
/// </summary>
internal static class StartupCosts
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan Idle = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(100);

    // Linux's USER_HZ: /proc reports process start times in these ticks.
    private const double TicksPerSecond = 100;

    public static async Task<int> RunAsync(string repositoryRoot, int runs)
    {
        Console.WriteLine($"startup costs of {Path.Combine(repositoryRoot, "src", "OrderPipeline.AppHost")} (Release, dotnet run --no-build), {runs} runs");
        var results = new List<RunResult>();
        for (var run = 1; run <= runs; run++)
        {
            var result = await MeasureOnceAsync(repositoryRoot, run);
            results.Add(result);
            Print(run, result);
        }
        PrintSummary(results);
        return results.All(r => r.Error is null) ? 0 : 1;
    }

    /// <summary>
    /// The developer's command, with every port free so that an AppHost running beside is not disturbed. The launch
    /// profile is not used because dotnet run lets its fixed ports override the environment; its other settings
    /// are given here instead.
    /// </summary>
    private static ProcessStartInfo AppHostCommand(string repositoryRoot, string dataDirectory, int apiPort)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = repositoryRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in (string[])["run", "-c", "Release", "--project", "src/OrderPipeline.AppHost", "--no-build", "--no-launch-profile", "--",
            $"--AppHost:DataDirectory={dataDirectory}", $"--AppHost:ApiPort={apiPort}",
            $"--AppHost:MySqlPort={FreePort.Next()}", $"--AppHost:SqsPort={FreePort.Next()}"])
        {
            start.ArgumentList.Add(argument);
        }
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        start.Environment["DOTNET_ENVIRONMENT"] = "Development";
        start.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{FreePort.Next()}";
        start.Environment["ASPIRE_DASHBOARD_OTLP_HTTP_ENDPOINT_URL"] = $"http://127.0.0.1:{FreePort.Next()}";
        start.Environment["ASPIRE_RESOURCE_SERVICE_ENDPOINT_URL"] = $"http://127.0.0.1:{FreePort.Next()}";
        start.Environment["ASPIRE_ALLOW_UNSECURED_TRANSPORT"] = "true";
        return start;
    }

    private static async Task<RunResult> MeasureOnceAsync(string repositoryRoot, int run)
    {
        // Short: the MariaDB socket lives under it and a Unix socket path allows ~100 characters.
        var dataDirectory = Path.Combine(Path.GetTempPath(), $"op-costs-{Guid.NewGuid():N}"[..18]);
        var logPath = Path.Combine(Path.GetTempPath(), $"op-startup-costs-{run}.log");
        var apiPort = FreePort.Next();
        var command = AppHostCommand(repositoryRoot, dataDirectory, apiPort);
        // Its own session and process group, as a terminal gives a command: Ctrl+C is a SIGINT to that group. A
        // shell's background job (nohup, &) ignores SIGINT and its children inherit that: env puts the default back.
        command.ArgumentList.Insert(0, command.FileName);
        command.ArgumentList.Insert(0, "--default-signal=INT");
        command.ArgumentList.Insert(0, "env");
        command.FileName = "setsid";

        var result = new RunResult { LogPath = logPath };
        await using var log = new StreamWriter(logPath) { AutoFlush = true };
        var clock = Stopwatch.StartNew();
        var loginSeen = new TaskCompletionSource<double>(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnLine(string? line, string stream)
        {
            if (line is null)
            {
                return;
            }
            lock (log)
            {
                log.WriteLine($"{clock.Elapsed.TotalSeconds,8:0.000} {stream} {line}");
            }
            if (line.Contains("/login?t=", StringComparison.Ordinal))
            {
                loginSeen.TrySetResult(clock.Elapsed.TotalSeconds);
            }
        }

        using var process = Process.Start(command) ?? throw new InvalidOperationException("dotnet did not start");
        process.OutputDataReceived += (_, e) => OnLine(e.Data, "out");
        process.ErrorDataReceived += (_, e) => OnLine(e.Data, "err");
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var session = process.Id;
        var launchTicks = ProcInfo.Read(session)?.StartTicks ?? 0;

        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{apiPort}"), Timeout = TimeSpan.FromSeconds(10) };
            using var startTimeout = new CancellationTokenSource(StartTimeout);
            result.Health = await UntilAsync(async () => (await TryGetAsync(http, "/health", startTimeout.Token))?.StatusCode == HttpStatusCode.OK,
                process, clock, startTimeout.Token);
            var orderId = await PlaceOrderAsync(http, process, startTimeout.Token);
            result.Settled = await UntilAsync(async () => await OrderStatusAsync(http, orderId, startTimeout.Token) == "PROCESSED",
                process, clock, startTimeout.Token);
            result.Login = loginSeen.Task.IsCompleted ? await loginSeen.Task : null;

            await Task.Delay(Idle);
            var tree = ProcessTree(session);
            result.Memory = [.. tree.GroupBy(p => p.Group)
                .Select(g => new GroupMemory(g.Key, g.Count(), g.Sum(p => p.RssKb) / 1024.0, g.Min(p => (p.StartTicks - launchTicks) / TicksPerSecond)))
                .OrderBy(g => g.StartedAfter)];
            if (tree.FirstOrDefault(p => p.Group == "AppHost") is { } appHost)
            {
                result.AppHostStartedAfter = (appHost.StartTicks - launchTicks) / TicksPerSecond;
            }

            await StopAsync(session, process, result, log, clock);
        }
        catch (Exception failed) when (failed is TimeoutException or OperationCanceledException or InvalidOperationException or HttpRequestException)
        {
            result.Error = failed.Message;
            await KillAllAsync(session, process);
        }
        finally
        {
            try
            {
                Directory.Delete(dataDirectory, recursive: true);
            }
            catch (IOException)
            {
                // A leftover temp folder is harmless.
            }
        }
        return result;
    }

    /// <summary>
    /// Ctrl+C, then watches every process of the tree until none is left, noting when each group's last one went:
    /// that is what shows which step of the shutdown takes the time.
    /// </summary>
    private static async Task StopAsync(int session, Process process, RunResult result, StreamWriter log, Stopwatch runClock)
    {
        var alive = ProcessTree(session).ToDictionary(p => p.Pid);
        var gone = new Dictionary<int, (ProcInfo Process, double At)>();
        lock (log)
        {
            log.WriteLine($"{runClock.Elapsed.TotalSeconds,8:0.000} --- SIGINT to process group {session}");
        }
        var clock = Stopwatch.StartNew();
        await SignalGroupAsync(session, "INT");
        while (alive.Count > 0 && clock.Elapsed < StopTimeout)
        {
            await Task.Delay(Poll);
            // Shutdown may start processes of its own: they count too.
            foreach (var late in ProcessTree(session).Where(p => !alive.ContainsKey(p.Pid) && !gone.ContainsKey(p.Pid)))
            {
                alive[late.Pid] = late;
            }
            foreach (var (pid, info) in alive.Where(p => !p.Value.IsAlive()).ToList())
            {
                alive.Remove(pid);
                gone[pid] = (info, clock.Elapsed.TotalSeconds);
                lock (log)
                {
                    log.WriteLine($"{runClock.Elapsed.TotalSeconds,8:0.000} --- {clock.Elapsed.TotalSeconds:0.0} s after SIGINT: {info.Group} ({pid}) gone");
                }
            }
        }
        result.StopLeftovers = [.. alive.Values.Select(p => $"{p.Group} ({p.Pid})")];
        result.ProcessGone = gone.Values.GroupBy(g => g.Process.Group).Select(g => (g.Key, g.Max(x => x.At))).OrderBy(g => g.Item2).ToList();
        result.AppHostExited = gone.Values.Where(g => g.Process.Group == "AppHost").Select(g => (double?)g.At).FirstOrDefault();
        result.AllGone = alive.Count == 0 ? clock.Elapsed.TotalSeconds : null;
        if (alive.Count > 0)
        {
            await KillAllAsync(session, process);
        }
        await process.WaitForExitAsync();
    }

    private static async Task<string> PlaceOrderAsync(HttpClient http, Process process, CancellationToken cancellationToken)
    {
        // A product of the sample data the migration step loads.
        const string body = """{"customer_id":"startup-costs","items":[{"product_id":"SKU-1001","quantity":1}]}""";
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (process.HasExited)
            {
                throw new InvalidOperationException($"the AppHost exited with code {process.ExitCode}");
            }
            using var response = await http.PostAsync("/api/orders", new StringContent(body, Encoding.UTF8, "application/json"), cancellationToken);
            if (response.StatusCode == HttpStatusCode.Accepted)
            {
                using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
                return json.RootElement.GetProperty("order_id").GetString() ?? throw new InvalidOperationException("no order_id in the answer");
            }
            await Task.Delay(Poll, cancellationToken);
        }
    }

    private static async Task<string?> OrderStatusAsync(HttpClient http, string orderId, CancellationToken cancellationToken)
    {
        using var response = await TryGetAsync(http, $"/api/orders/{orderId}", cancellationToken);
        if (response?.StatusCode != HttpStatusCode.OK)
        {
            return null;
        }
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
        return json.RootElement.TryGetProperty("status", out var status) ? status.GetString() : null;
    }

    private static async Task<HttpResponseMessage?> TryGetAsync(HttpClient http, string path, CancellationToken cancellationToken)
    {
        try
        {
            return await http.GetAsync(path, cancellationToken);
        }
        catch (HttpRequestException)
        {
            return null; // not listening yet, or DCP's proxy has nothing behind it yet
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    private static async Task<double> UntilAsync(Func<Task<bool>> condition, Process process, Stopwatch clock, CancellationToken cancellationToken)
    {
        while (!await condition())
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"the AppHost exited with code {process.ExitCode}");
            }
            await Task.Delay(Poll, cancellationToken);
        }
        return clock.Elapsed.TotalSeconds;
    }

    private static async Task KillAllAsync(int session, Process process)
    {
        foreach (var leftover in ProcessTree(session))
        {
            try
            {
                using var p = Process.GetProcessById(leftover.Pid);
                p.Kill();
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                // Already gone.
            }
        }
        await process.WaitForExitAsync();
    }

    private static async Task SignalGroupAsync(int processGroup, string signal)
    {
        using var kill = Process.Start("kill", ["-s", signal, "--", $"-{processGroup}"]);
        await kill.WaitForExitAsync();
    }

    /// <summary>
    /// The launched process and everything below it. DCP's API server detaches (own session, parent init) and
    /// names the AppHost in <c>--monitor PID</c>: it counts, with everything below it.
    /// </summary>
    private static List<ProcInfo> ProcessTree(int root)
    {
        var all = Directory.EnumerateDirectories("/proc")
            .Select(d => int.TryParse(Path.GetFileName(d), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? ProcInfo.Read(pid) : null)
            .OfType<ProcInfo>()
            .Where(p => p.State != 'Z')
            .ToList();
        var members = new HashSet<int> { root };
        bool added;
        do
        {
            added = false;
            foreach (var p in all.Where(p => !members.Contains(p.Pid)
                && (members.Contains(p.ParentPid) || p.Session == root || (p.MonitorPid is { } watched && members.Contains(watched)))))
            {
                added |= members.Add(p.Pid);
            }
        }
        while (added);
        return [.. all.Where(p => members.Contains(p.Pid))];
    }

    private static void Print(int run, RunResult r)
    {
        Console.WriteLine();
        Console.WriteLine($"run {run} (AppHost console: {r.LogPath})");
        if (r.Error is not null)
        {
            Console.WriteLine($"  FAILED: {r.Error}");
            return;
        }
        Console.WriteLine($"  cold start: AppHost process after {r.AppHostStartedAfter:0.00} s, dashboard login line {Seconds(r.Login)}, " +
            $"Api healthy {r.Health:0.00} s, first order PROCESSED {r.Settled:0.00} s");
        Console.WriteLine($"  memory after {Idle.TotalSeconds:0} s idle (RSS):");
        foreach (var g in r.Memory)
        {
            Console.WriteLine($"    {g.Group,-26} {g.Count,2} x  {g.RssMb,7:0.0} MB   first started {g.StartedAfter,6:0.00} s after launch");
        }
        Console.WriteLine($"    {"total",-26} {r.Memory.Sum(g => g.Count),2} x  {r.Memory.Sum(g => g.RssMb),7:0.0} MB");
        Console.WriteLine($"  shutdown after SIGINT: AppHost exited {Seconds(r.AppHostExited)}, every process gone {Seconds(r.AllGone)}" +
            (r.StopLeftovers.Count > 0 ? $"; still alive after {StopTimeout.TotalSeconds:0} s (killed): {string.Join(", ", r.StopLeftovers)}" : ""));
        Console.WriteLine($"    last of each group gone at: {string.Join(", ", r.ProcessGone.Select(g => $"{g.Group} {g.At:0.0} s"))}");
    }

    private static void PrintSummary(List<RunResult> results)
    {
        var ok = results.Where(r => r.Error is null).ToList();
        if (ok.Count == 0)
        {
            return;
        }
        Console.WriteLine();
        Console.WriteLine($"{"summary (per run)",-28} {string.Join(" ", ok.Select((_, i) => $"{"run " + (i + 1),9}"))}");
        void Row(string name, Func<RunResult, double?> value, string format) =>
            Console.WriteLine($"{name,-28} {string.Join(" ", ok.Select(r =>
                value(r) is { } v ? v.ToString(format, CultureInfo.InvariantCulture).PadLeft(9) : "        -"))}");
        Row("dashboard login line (s)", r => r.Login, "0.00");
        Row("Api healthy (s)", r => r.Health, "0.00");
        Row("first order settled (s)", r => r.Settled, "0.00");
        foreach (var group in ok.SelectMany(r => r.Memory).Select(g => g.Group).Distinct())
        {
            Row($"RSS {group} (MB)", r => r.Memory.Where(g => g.Group == group).Sum(g => g.RssMb), "0");
        }
        Row("RSS total (MB)", r => r.Memory.Sum(g => g.RssMb), "0");
        Row("processes", r => r.Memory.Sum(g => g.Count), "0");
        Row("stop: AppHost exited (s)", r => r.AppHostExited, "0.00");
        Row("stop: all gone (s)", r => r.AllGone, "0.00");
    }

    private static string Seconds(double? value) => value is { } v ? $"{v:0.00} s" : "never";


    private sealed class RunResult
    {
        public required string LogPath { get; init; }
        public string? Error { get; set; }
        public double? AppHostStartedAfter { get; set; }
        public double? Login { get; set; }
        public double Health { get; set; }
        public double Settled { get; set; }
        public List<GroupMemory> Memory { get; set; } = [];
        public double? AppHostExited { get; set; }
        public double? AllGone { get; set; }
        public List<string> StopLeftovers { get; set; } = [];
        public List<(string Group, double At)> ProcessGone { get; set; } = [];
    }

    private sealed record GroupMemory(string Group, int Count, double RssMb, double StartedAfter);

    private sealed record ProcInfo(int Pid, int ParentPid, int Session, char State, long StartTicks, long RssKb, string Group, int? MonitorPid)
    {
        public static ProcInfo? Read(int pid)
        {
            try
            {
                var stat = File.ReadAllText($"/proc/{pid}/stat");
                // The command name in parentheses may itself hold spaces and parentheses.
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                var arguments = File.ReadAllText($"/proc/{pid}/cmdline").Split('\0', StringSplitOptions.RemoveEmptyEntries);
                var rss = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
                return new ProcInfo(pid,
                    int.Parse(fields[1], CultureInfo.InvariantCulture),
                    int.Parse(fields[3], CultureInfo.InvariantCulture),
                    fields[0][0],
                    long.Parse(fields[19], CultureInfo.InvariantCulture),
                    rss is null ? 0 : long.Parse(rss.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture),
                    GroupOf(arguments),
                    MonitoredProcess(arguments));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
            {
                return null; // gone meanwhile
            }
        }

        /// <summary>Alive and the same process (a pid can be reused once its process is gone).</summary>
        public bool IsAlive() => Read(Pid) is { State: not 'Z' } now && now.StartTicks == StartTicks;

        private static int? MonitoredProcess(string[] arguments)
        {
            var at = Array.IndexOf(arguments, "--monitor");
            return at >= 0 && at + 1 < arguments.Length && int.TryParse(arguments[at + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                ? pid
                : null;
        }

        private static string GroupOf(string[] arguments)
        {
            if (arguments.Length == 0)
            {
                return "?";
            }
            var program = Path.GetFileName(arguments[0]);
            var all = string.Join(' ', arguments);
            return program switch
            {
                "dotnet" when arguments.Length > 1 && arguments[1] == "run" => "dotnet run (CLI)",
                "setsid" => "dotnet run (CLI)",
                "dcp" or "dcpctrl" => $"{program} {string.Join(' ', arguments.Skip(1).TakeWhile(a => !a.StartsWith('-')))}".TrimEnd(),
                _ when all.Contains("Aspire.Dashboard", StringComparison.Ordinal) => "dashboard",
                _ when all.Contains("OrderPipeline.AppHost", StringComparison.Ordinal) => "AppHost",
                _ when all.Contains("OrderPipeline.", StringComparison.Ordinal) =>
                    all[all.IndexOf("OrderPipeline.", StringComparison.Ordinal)..].Split(' ', '/', '.')[1],
                "node" => "node (SQS emulator)",
                _ => program,
            };
        }
    }
}
