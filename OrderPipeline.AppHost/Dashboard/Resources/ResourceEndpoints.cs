using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using OrderPipeline.AppHost.Hosting;

namespace OrderPipeline.AppHost.Dashboard.Resources;

public sealed record ResourceView(
    string Name,
    string Type,
    string State,
    string? StateDetail,
    string Health,
    IReadOnlyDictionary<string, string> Endpoints,
    DateTimeOffset? StartedAt,
    int RestartCount,
    IReadOnlyList<string> Children);

/// <summary>The Resources page's data and its stop / start / restart actions.</summary>
internal static class ResourceEndpoints
{
    public static void MapResources(this IEndpointRouteBuilder endpoints, IReadOnlyList<Resource> resources)
    {
        // The top-level resources (what runs); databases and queues are shown as their children.
        var topLevel = resources.Where(r => r.Parent is null).ToList();

        endpoints.MapGet("/api/resources", () => topLevel.Select(r => View(r, resources)).ToList());

        endpoints.MapPost("/api/resources/{name}/{action}", (string name, string action) =>
        {
            var resource = topLevel.FirstOrDefault(r => r.Name == name);
            if (resource is null)
            {
                return Results.NotFound();
            }
            Func<Task>? work = action switch
            {
                "stop" => () => resource.StopAsync(CancellationToken.None),
                "start" => () => resource.StartAsync(CancellationToken.None),
                "restart" => async () =>
                {
                    await resource.StopAsync(CancellationToken.None).ConfigureAwait(false);
                    await resource.RestartAsync(CancellationToken.None).ConfigureAwait(false);
                },
                _ => null,
            };
            if (work is null)
            {
                return Results.BadRequest();
            }
            // Stopping waits up to 10 s for a process: answer now, the page follows the state live.
            _ = Task.Run(async () =>
            {
                try
                {
                    await work().ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    resource.Log.Write($"{action} from the dashboard failed: {ex.Message}", isError: true, isSystem: true);
                }
            });
            return Results.Accepted();
        });
    }

    private static ResourceView View(Resource resource, IReadOnlyList<Resource> all) => new(
        resource.Name,
        resource.Type,
        StateName(resource.State),
        resource.StateDetail,
        resource.State switch
        {
            ResourceState.Healthy => "healthy",
            ResourceState.Unhealthy => "unhealthy",
            _ => "unknown",
        },
        resource.Endpoints.Concat(all.Where(r => r.Parent == resource).SelectMany(c => c.Endpoints.Select(e => KeyValuePair.Create($"{c.Name} {e.Key}", e.Value))))
            .ToDictionary(e => e.Key, e => e.Value),
        resource.State is ResourceState.Stopped or ResourceState.Exited or ResourceState.FailedToStart or ResourceState.NotStarted ? null : resource.StartedAt,
        resource.RestartCount,
        [.. all.Where(r => r.Parent == resource).Select(r => r.Name)]);

    /// <summary>The words the issue (and Aspire) use: starting, healthy, unhealthy, exited, restarting, ...</summary>
    internal static string StateName(ResourceState state) => state switch
    {
        ResourceState.NotStarted => "not started",
        ResourceState.FailedToStart => "failed to start",
        ResourceState.Running => "starting",
        _ => state.ToString().ToLowerInvariant(),
    };
}
