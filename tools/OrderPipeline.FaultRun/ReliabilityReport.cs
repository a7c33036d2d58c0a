using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace OrderPipeline.FaultRun;

/// <summary>Writes a fault run's result as the Markdown of docs/reliability.md.</summary>
public static class ReliabilityReport
{
    public static string ToMarkdown(FaultRunResult result)
    {
        var o = result.Options;
        var text = new StringBuilder()
            .AppendLine("# Reliability: the fault run")
            .AppendLine()
            .AppendLine("Written by `dotnet run -c Release --project tools/OrderPipeline.FaultRun -- --report docs/reliability.md`.")
            .AppendLine("The program starts the whole system from the AppHost's app model (real MariaDB, the SQS emulator, the three")
            .AppendLine("services under the AppHost's supervision), places orders at a steady pace while it kills and freezes the")
            .AppendLine("system's parts, injects duplicate and poison messages, waits for everything to settle and reconciles what")
            .AppendLine("the clients were told with what the database, the queues and the Notifier hold. The test command runs a")
            .AppendLine("short version (`FaultRunTests`).")
            .AppendLine()
            .AppendLine(CultureInfo.InvariantCulture,
                $"Run on {result.StartedAt:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, "
                + $"{RuntimeInformation.OSDescription}, .NET {Environment.Version}.")
            .AppendLine(CultureInfo.InvariantCulture,
                $"{o.Orders} orders over {o.LoadSeconds} s from up to {o.Concurrency * 4} clients at once, "
                + $"{o.Processors} Processors, outages of {o.OutageSeconds} s.")
            .AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"**Verdict: {(result.Passed ? "every check passed" : "FAILED")}.**")
            .AppendLine()
            .AppendLine("## Faults")
            .AppendLine()
            .AppendLine("| at | fault | lasted | |")
            .AppendLine("| ---: | --- | ---: | --- |");
        foreach (var fault in result.Faults)
        {
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {fault.AtSeconds:0} s | {fault.What} | {(fault.LastedSeconds is { } s ? $"{s:0} s" : "")} "
                + $"| {fault.Problem ?? "done"} |");
        }
        text.AppendLine().AppendLine("## Checks").AppendLine().AppendLine("| | check | found |").AppendLine("| --- | --- | --- |");
        foreach (var check in result.Checks)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"| {(check.Passed ? "ok" : "**FAILED**")} | {check.Name} | {check.Detail} |");
        }
        text.AppendLine().AppendLine("## Figures").AppendLine().AppendLine("| | |").AppendLine("| --- | --- |");
        foreach (var (name, value) in result.Figures)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"| {name} | {value} |");
        }
        return text.ToString();
    }
}
