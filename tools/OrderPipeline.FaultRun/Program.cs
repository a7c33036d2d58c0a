using OrderPipeline.FaultRun;

// Usage: dotnet run -c Release --project tools/OrderPipeline.FaultRun -- [orders=3000] [load-seconds=240] [outage-seconds=60]
//            [--short] [--lambda] [--report docs/reliability.md]
// --lambda runs the services in their AWS shape; the report then replaces the document's section "Lambda shape" only.
// Exits 0 when every check passed, 1 otherwise.
var options = FaultRunOptions.Parse(args);
using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};
var result = await FaultRunner.RunAsync(options, Console.Out, stop.Token);
if (options.ReportPath is { } path)
{
    var existing = File.Exists(path) ? await File.ReadAllTextAsync(path) : null;
    await File.WriteAllTextAsync(path, ReliabilityReport.Merge(existing, result));
    Console.WriteLine($"Wrote {path}");
}
Console.WriteLine(result.Passed ? "Every check passed." : "FAILED: see the checks above.");
return result.Passed ? 0 : 1;
