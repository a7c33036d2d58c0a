namespace OrderPipeline.Benchmarks;

/// <summary>The machine a report's figures come from: they mean little without it.</summary>
/// <param name="LoadAverage">/proc/loadavg's 1, 5 and 15 minute figures when the run began: above the core count, other
/// work was sharing the machine and the figures are lower than the machine can do.</param>
public sealed record MachineInfo(int Processors, string CpuModel, string OperatingSystem, string Runtime, string LoadAverage)
{
    public static MachineInfo Read() => new(
        Environment.ProcessorCount,
        FirstValue("/proc/cpuinfo", "model name", ':') ?? "unknown CPU",
        FirstValue("/etc/os-release", "PRETTY_NAME", '=')?.Trim('"') ?? System.Runtime.InteropServices.RuntimeInformation.OSDescription,
        $".NET {Environment.Version}, kernel {Environment.OSVersion.Version}",
        LoadAverageNow());

    private static string LoadAverageNow()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    private static string? FirstValue(string path, string key, char separator)
    {
        try
        {
            return File.ReadLines(path)
                .Select(l => l.Split(separator, 2))
                .FirstOrDefault(p => p.Length == 2 && p[0].Trim() == key)?[1].Trim();
        }
        catch (IOException)
        {
            return null;
        }
    }
}
