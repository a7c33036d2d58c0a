using OrderPipeline.AppHost.Resources;

namespace OrderPipeline.AppHost.Hosting;

/// <summary>One console for every resource: each line prefixed with its resource's name in that resource's colour.</summary>
internal sealed class ConsoleReporter : IDisposable
{
    private static readonly ConsoleColor[] Palette =
        [ConsoleColor.Cyan, ConsoleColor.Magenta, ConsoleColor.Yellow, ConsoleColor.Green, ConsoleColor.Blue, ConsoleColor.DarkCyan, ConsoleColor.DarkYellow];

    private readonly Lock _gate = new();
    private readonly List<(ResourceLog Log, Action<LogLine> Handler)> _subscriptions = [];
    private readonly int _width;

    public ConsoleReporter(IReadOnlyList<Resource> resources)
    {
        _width = resources.Max(r => r.Name.Length);
        var index = 0;
        foreach (var resource in resources.Where(r => r.Parent is null))
        {
            var colour = Palette[index++ % Palette.Length];
            Action<LogLine> handler = line => Write(line, colour);
            resource.Log.LineWritten += handler;
            _subscriptions.Add((resource.Log, handler));
        }
    }

    public void Announce(DistributedApplication app)
    {
        var api = app.Resources.OfType<ProjectResource>().FirstOrDefault(p => p.Name == "api");
        Say("all resources are up");
        if (api?.HttpUrl is { } url)
        {
            Say($"API: {url}/api/orders   (OpenAPI: {url}/openapi/v1.json)");
        }
        Say("press Ctrl+C to stop");
    }

    public void Say(string text)
    {
        lock (_gate)
        {
            Console.ForegroundColor = ConsoleColor.White;
            Console.WriteLine($"{"apphost".PadRight(_width)} | {text}");
            Console.ResetColor();
        }
    }

    public void Dispose()
    {
        foreach (var (log, handler) in _subscriptions)
        {
            log.LineWritten -= handler;
        }
    }

    private void Write(LogLine line, ConsoleColor colour)
    {
        lock (_gate)
        {
            Console.ForegroundColor = colour;
            Console.Write($"{line.Resource.PadRight(_width)} | ");
            Console.ForegroundColor = line.IsSystem ? ConsoleColor.White : line.IsError ? ConsoleColor.Red : ConsoleColor.Gray;
            Console.WriteLine(line.IsSystem ? $"== {line.Text}" : line.Text);
            Console.ResetColor();
        }
    }
}
