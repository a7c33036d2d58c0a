using System.Globalization;

namespace OrderPipeline.Benchmarks;

/// <summary>One process group's share of a measured phase.</summary>
public sealed record ProcessUsage(string Name, int Processes, double CpuMilliseconds, double PeakRssMb);

/// <summary>
/// CPU time (utime + stime from /proc/PID/stat) spent by every process of the system over a phase, and the largest
/// resident set seen while it ran. The processes are the benchmark's own (which also hosts the AppHost, in process
/// under Aspire.Hosting.Testing), everything started below it, and DCP, which detaches but names its parent in
/// <c>--monitor PID</c>. Resources' processes are named after the resource (DCP's "executable.pid").
/// </summary>
public sealed class ProcessSampler : IAsyncDisposable
{
    // USER_HZ: the unit of /proc's CPU times; 100 on every Linux the project runs on (sysconf(_SC_CLK_TCK)).
    private const double MillisecondsPerTick = 10;

    /// <summary>The benchmark's own process: the load generator and, under Aspire.Hosting.Testing, the AppHost.</summary>
    public const string ClientAndAppHost = "benchmark client + AppHost (one process)";

    /// <summary>The Aspire dashboard, which DCP starts from the AppHost's Aspire.Dashboard package.</summary>
    public const string Dashboard = "dashboard";

    private readonly Func<IReadOnlyDictionary<int, string>> _resourceProcesses;
    private readonly Dictionary<int, Sample> _first = [];
    private readonly Dictionary<int, Sample> _last = [];
    private readonly Dictionary<int, long> _peakRssKb = [];
    private readonly Dictionary<int, string> _names = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    private ProcessSampler(Func<IReadOnlyDictionary<int, string>> resourceProcesses)
    {
        _resourceProcesses = resourceProcesses;
        Take(first: true);
        _loop = LoopAsync();
    }

    /// <summary>Starts measuring; <paramref name="resourceProcesses"/> names the resources' processes (pid → resource).</summary>
    public static ProcessSampler Start(Func<IReadOnlyDictionary<int, string>> resourceProcesses) => new(resourceProcesses);

    /// <summary>Stops measuring and gives each named group's CPU time and peak memory over the phase.</summary>
    public async Task<IReadOnlyList<ProcessUsage>> StopAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        Take(first: false);
        return [.. _last
            .GroupBy(p => _names[p.Key])
            .Select(g => new ProcessUsage(g.Key, g.Count(),
                g.Sum(p => (p.Value.CpuTicks
                    - (_first.TryGetValue(p.Key, out var f) && f.StartTicks == p.Value.StartTicks ? f.CpuTicks : 0))
                    * MillisecondsPerTick),
                g.Sum(p => _peakRssKb.GetValueOrDefault(p.Key)) / 1024.0))
            .OrderByDescending(u => u.CpuMilliseconds)];
    }

    private async Task LoopAsync()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(500));
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                Take(first: false);
            }
        }
        catch (OperationCanceledException)
        {
            // The phase is over.
        }
    }

    private void Take(bool first)
    {
        var resources = _resourceProcesses();
        foreach (var sample in Members())
        {
            (first ? _first : _last)[sample.Pid] = sample;
            _peakRssKb[sample.Pid] = Math.Max(_peakRssKb.GetValueOrDefault(sample.Pid), sample.RssKb);
            // The dashboard by its command line, whatever DCP calls its resource: one name in every report.
            _names[sample.Pid] = sample.Group == Dashboard ? Dashboard
                : resources.TryGetValue(sample.Pid, out var resource) ? resource
                : sample.Pid == Environment.ProcessId ? ClientAndAppHost
                : sample.Group;
        }
    }

    private static List<Sample> Members()
    {
        var root = Environment.ProcessId;
        var all = Directory.EnumerateDirectories("/proc")
            .Select(d => int.TryParse(Path.GetFileName(d), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? Sample.Read(pid) : null)
            .OfType<Sample>()
            .ToList();
        var members = new HashSet<int> { root };
        bool added;
        do
        {
            added = false;
            foreach (var p in all.Where(p => !members.Contains(p.Pid)
                && (members.Contains(p.ParentPid) || (p.MonitorPid is { } watched && members.Contains(watched)))))
            {
                added |= members.Add(p.Pid);
            }
        }
        while (added);
        return [.. all.Where(p => members.Contains(p.Pid))];
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }

    private sealed record Sample(int Pid, int ParentPid, long StartTicks, long CpuTicks, long RssKb, string Group, int? MonitorPid)
    {
        public static Sample? Read(int pid)
        {
            try
            {
                var stat = File.ReadAllText($"/proc/{pid}/stat");
                // The command name in parentheses may itself hold spaces and parentheses.
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                if (fields[0] == "Z")
                {
                    return null;
                }
                var arguments = File.ReadAllText($"/proc/{pid}/cmdline").Split('\0', StringSplitOptions.RemoveEmptyEntries);
                var rss = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
                var monitor = Array.IndexOf(arguments, "--monitor");
                // Fields after the name, counted from 0 = state: 11 utime, 12 stime, 19 starttime.
                return new Sample(pid,
                    int.Parse(fields[1], CultureInfo.InvariantCulture),
                    long.Parse(fields[19], CultureInfo.InvariantCulture),
                    long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture),
                    rss is null ? 0 : long.Parse(rss.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture),
                    GroupOf(arguments),
                    monitor >= 0 && monitor + 1 < arguments.Length
                        && int.TryParse(arguments[monitor + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var watched)
                        ? watched
                        : null);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
            {
                return null; // gone meanwhile
            }
        }

        private static string GroupOf(string[] arguments)
        {
            if (arguments.Length == 0)
            {
                return "?";
            }
            var program = Path.GetFileName(arguments[0]);
            return program switch
            {
                "dcp" or "dcpctrl" => $"{program} {string.Join(' ', arguments.Skip(1).TakeWhile(a => !a.StartsWith('-')))}".TrimEnd(),
                _ when string.Join(' ', arguments).Contains("Aspire.Dashboard", StringComparison.Ordinal) => Dashboard,
                _ => program,
            };
        }
    }
}
