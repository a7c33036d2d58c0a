using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Hosting;
using OrderPipeline.AppHost.Hosting;

namespace OrderPipeline.AppHost.Dashboard.Resources;

public sealed record ConsoleLine(string Resource, DateTimeOffset Time, string Text, bool IsError, bool IsSystem);

/// <summary>Every resource's console output as one server-sent event stream: the recent backlog in time order, then live.</summary>
internal static class ConsoleEndpoints
{
    private const int BacklogLines = 2000;

    public static void MapConsole(this IEndpointRouteBuilder endpoints, IReadOnlyList<Resource> resources)
    {
        var topLevel = resources.Where(r => r.Parent is null).ToList();
        endpoints.MapGet("/api/console/stream", (HttpContext context, IHostApplicationLifetime lifetime) =>
        {
            var stopping = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, lifetime.ApplicationStopping);
            context.Response.RegisterForDispose(stopping);
            return TypedResults.ServerSentEvents(StreamAsync(topLevel, stopping.Token));
        });
    }

    private static async IAsyncEnumerable<SseItem<ConsoleLine>> StreamAsync(IReadOnlyList<Resource> resources, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // Bounded: a browser that stops reading drops old lines rather than growing the AppHost.
        var live = Channel.CreateBounded<LogLine>(new BoundedChannelOptions(10_000) { FullMode = BoundedChannelFullMode.DropOldest });
        var pumps = resources.Select(r => PumpAsync(r.Log, live.Writer, cancellationToken)).ToList();

        // Subscribed first, then the backlog read: a line written in between is in both, and skipped once.
        var backlog = resources.SelectMany(r => r.Log.Snapshot()).OrderBy(l => l.Timestamp).TakeLast(BacklogLines).ToList();
        var seen = backlog.GroupBy(l => l.Resource).ToDictionary(g => g.Key, g => g.Max(l => l.Timestamp));
        foreach (var line in backlog)
        {
            yield return Item(line);
        }
        yield return new SseItem<ConsoleLine>(new ConsoleLine("", DateTimeOffset.UtcNow, "", false, true), "caught-up");

        await foreach (var line in ReadAllOrEndAsync(live.Reader, cancellationToken).ConfigureAwait(false))
        {
            if (seen.TryGetValue(line.Resource, out var last) && line.Timestamp <= last)
            {
                continue;
            }
            yield return Item(line);
        }
        await Task.WhenAll(pumps).ConfigureAwait(false);
    }

    private static async IAsyncEnumerable<LogLine> ReadAllOrEndAsync(ChannelReader<LogLine> reader, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                if (!await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    yield break;
                }
            }
            catch (OperationCanceledException)
            {
                yield break;
            }
            while (reader.TryRead(out var line))
            {
                yield return line;
            }
        }
    }

    private static async Task PumpAsync(ResourceLog log, ChannelWriter<LogLine> writer, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var line in log.WatchAsync(includeBacklog: false, cancellationToken).ConfigureAwait(false))
            {
                writer.TryWrite(line);
            }
        }
        catch (OperationCanceledException)
        {
            // The browser went away or the dashboard is stopping.
        }
    }

    private static SseItem<ConsoleLine> Item(LogLine line) =>
        new(new ConsoleLine(line.Resource, line.Timestamp, line.Text, line.IsError, line.IsSystem), "line");
}
