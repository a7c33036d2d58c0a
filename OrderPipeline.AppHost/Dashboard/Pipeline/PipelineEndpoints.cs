using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using MySqlConnector;

namespace OrderPipeline.AppHost.Dashboard.Pipeline;

/// <summary>JSON for the Pipeline page: queue counts, DLQ peek and redrive, recent orders, stock.</summary>
internal static class PipelineEndpoints
{
    public static void MapPipeline(this IEndpointRouteBuilder endpoints, QueueInspector queues, OrderReader orders)
    {
        endpoints.MapGet("/api/pipeline/queues", async (CancellationToken ct) => Results.Ok(await queues.CountsAsync(ct).ConfigureAwait(false)));

        endpoints.MapGet("/api/pipeline/queues/{queue}/dlq", (string queue, CancellationToken ct) =>
            Guard(async () => Results.Ok(await queues.PeekDeadLettersAsync(queue, ct).ConfigureAwait(false))));

        endpoints.MapPost("/api/pipeline/queues/{queue}/redrive", (string queue, CancellationToken ct) =>
            Guard(async () => Results.Ok(new { moved = await queues.RedriveAsync(queue, ct).ConfigureAwait(false) })));

        endpoints.MapGet("/api/pipeline/orders", (CancellationToken ct) =>
            Guard(async () => Results.Ok(await orders.RecentOrdersAsync(50, ct).ConfigureAwait(false))));

        endpoints.MapGet("/api/pipeline/stock", (CancellationToken ct) =>
            Guard(async () => Results.Ok(await orders.StockAsync(100, ct).ConfigureAwait(false))));
    }

    // A stopped database or emulator is a normal sight on this dashboard: report it, do not fail the page.
    private static async Task<IResult> Guard(Func<Task<IResult>> action)
    {
        try
        {
            return await action().ConfigureAwait(false);
        }
        catch (KeyNotFoundException ex)
        {
            return Results.NotFound(new { error = ex.Message });
        }
        catch (Exception ex) when (ex is InvalidOperationException or MySqlException or HttpRequestException or Amazon.Runtime.AmazonServiceException or Amazon.Runtime.AmazonClientException)
        {
            return Results.Json(new { error = ex.Message }, statusCode: StatusCodes.Status503ServiceUnavailable);
        }
    }
}
