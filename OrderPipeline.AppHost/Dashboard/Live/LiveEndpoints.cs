using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Hosting;
using OrderPipeline.AppHost.Dashboard.Telemetry;

namespace OrderPipeline.AppHost.Dashboard.Live;

/// <summary>
/// One server-sent event stream that tells a page which of its data changed ("traces", "logs", ...), at most
/// once a second per topic; the page then fetches that data again. "pipeline" (queues and database, which
/// change outside the AppHost) and "tick" come every few seconds regardless.
/// </summary>
internal static class LiveEndpoints
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);
    private const int PipelineEvery = 3;

    public static void MapLive(this IEndpointRouteBuilder endpoints, ChangeFeed changes)
    {
        endpoints.MapGet("/api/live", (HttpContext context, IHostApplicationLifetime lifetime) =>
        {
            var stopping = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, lifetime.ApplicationStopping);
            context.Response.RegisterForDispose(stopping);
            return TypedResults.ServerSentEvents(StreamAsync(changes, stopping.Token));
        });
    }

    private static async IAsyncEnumerable<SseItem<string>> StreamAsync(ChangeFeed changes, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var seen = changes.Snapshot();
        using var timer = new PeriodicTimer(Interval);
        var ticks = 0;
        yield return new SseItem<string>("connected", "hello");
        while (await Next(timer, cancellationToken).ConfigureAwait(false))
        {
            var now = changes.Snapshot();
            for (var i = 0; i < now.Length; i++)
            {
                if (now[i] != seen[i])
                {
                    yield return new SseItem<string>(ChangeFeed.Topics[i], "changed");
                }
            }
            seen = now;
            if (++ticks % PipelineEvery == 0)
            {
                yield return new SseItem<string>("pipeline", "changed");
            }
            yield return new SseItem<string>("tick", "changed");
        }
    }

    private static async Task<bool> Next(PeriodicTimer timer, CancellationToken cancellationToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
