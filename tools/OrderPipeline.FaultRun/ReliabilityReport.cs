using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using OrderPipeline.Testing;

namespace OrderPipeline.FaultRun;

/// <summary>
/// Writes a fault run's result as the Markdown of docs/reliability.md: the laptop shape's run is the document, the
/// Lambda shape's its section "Lambda shape" at the end. Each run replaces its own part and keeps the other's.
/// </summary>
public static class ReliabilityReport
{
    /// <summary>The heading of the Lambda shape's section.</summary>
    public const string LambdaHeading = "## Lambda shape";

    /// <summary>The document with the run's part written and the other shape's part, as <paramref name="existing"/> has it, kept.</summary>
    public static string Merge(string? existing, FaultRunResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return ReportSections.Merge(existing, LambdaHeading, ToMarkdown(result), result.Options.Lambda);
    }

    /// <summary>The run's part of the document: the whole document for the laptop shape, its section for the Lambda shape.</summary>
    public static string ToMarkdown(FaultRunResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var o = result.Options;
        var sub = o.Lambda ? "###" : "##";
        var text = new StringBuilder();
        if (o.Lambda)
        {
            text.AppendLine(LambdaHeading)
                .AppendLine()
                .AppendLine("Written by `dotnet run -c Release --project tools/OrderPipeline.FaultRun -- --lambda --report docs/reliability.md`.")
                .AppendLine("The same run against the services in their AWS shape (docs/lambda-shape.md): Lambda functions in sandboxes")
                .AppendLine("frozen between invocations, invoked by their SQS event sources, the HTTP API and the relay's schedule. The")
                .AppendLine("clients are API Gateway's: they retry its 429 and its own 500 after a short pause, and an unkeyed order's 500")
                .AppendLine("counts as an answer that may hide an accepted order. A kill ends every sandbox of a function (one of them")
                .AppendLine("mid-invocation), and an order-processor sandbox hangs mid-invocation (SIGSTOP), so that its invocation")
                .AppendLine("passes the function's timeout and Lambda kills it (a database outage cannot: the client's timeouts nest")
                .AppendLine("inside the function's). A failed batch comes back after its visibility timeout, which the run makes a")
                .AppendLine("little longer than its function's timeout (AWS refuses shorter). The test command runs a short version")
                .AppendLine("(`FaultRunTests`).")
                .AppendLine();
        }
        else
        {
            text.AppendLine("# Reliability: the fault run")
                .AppendLine()
                .AppendLine("Written by `dotnet run -c Release --project tools/OrderPipeline.FaultRun -- --report docs/reliability.md`.")
                .AppendLine("The program starts the whole system from the AppHost's app model (real MariaDB, the SQS emulator, the three")
                .AppendLine("services under the AppHost's supervision), places orders at a steady pace while it kills and freezes the")
                .AppendLine("system's parts, injects duplicate and poison messages, waits for everything to settle and reconciles what")
                .AppendLine("the clients were told with what the database, the queues and the Notifier hold. The test command runs a")
                .AppendLine("short version (`FaultRunTests`).")
                .AppendLine();
        }
        var services = o.Lambda
            ? string.Create(CultureInfo.InvariantCulture,
                $"the functions as the template sizes them, order-processor's timeout {result.ProcessorTimeout?.TotalSeconds:0} s")
            : string.Create(CultureInfo.InvariantCulture, $"{o.Processors} Processors");
        text.AppendLine(CultureInfo.InvariantCulture,
                $"Run on {result.StartedAt:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, "
                + $"{RuntimeInformation.OSDescription}, .NET {Environment.Version}.")
            .AppendLine(CultureInfo.InvariantCulture,
                $"{o.Orders} orders over {o.LoadSeconds} s from up to {o.Concurrency * 4} clients at once, {services}, outages of {o.OutageSeconds} s.")
            .AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"**Verdict: {(result.Passed ? "every check passed" : "FAILED")}.**")
            .AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"{sub} Faults")
            .AppendLine()
            .AppendLine("| at | fault | lasted | |")
            .AppendLine("| ---: | --- | ---: | --- |");
        foreach (var fault in result.Faults)
        {
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {fault.AtSeconds:0} s | {fault.What} | {(fault.LastedSeconds is { } s ? $"{s:0} s" : "")} "
                + $"| {fault.Problem ?? "done"} |");
        }
        text.AppendLine().AppendLine(CultureInfo.InvariantCulture, $"{sub} Checks").AppendLine()
            .AppendLine("| | check | found |").AppendLine("| --- | --- | --- |");
        foreach (var check in result.Checks)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"| {(check.Passed ? "ok" : "**FAILED**")} | {check.Name} | {check.Detail} |");
        }
        text.AppendLine().AppendLine(CultureInfo.InvariantCulture, $"{sub} Figures").AppendLine().AppendLine("| | |").AppendLine("| --- | --- |");
        foreach (var (name, value) in result.Figures)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"| {name} | {value} |");
        }
        return text.ToString();
    }
}
