using System.Text.Json;
using Dapper;
using MySqlConnector;
using OrderPipeline.Messaging.Events;

namespace OrderPipeline.Api.Orders;

/// <summary>Reads orders as the Processor recorded them.</summary>
public sealed class OrderQueries(MySqlDataSource dataSource)
{
    private sealed record OrderRow(
        string OrderId, string CustomerId, string Status, string Items, string? FailureReason, DateTime CreatedAt, DateTime? ProcessedAt);

    public async Task<OrderView?> FindAsync(string orderId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<OrderRow>(new CommandDefinition(
            """
            SELECT order_id AS OrderId, customer_id AS CustomerId, status AS Status, items AS Items,
                   failure_reason AS FailureReason, created_at AS CreatedAt, processed_at AS ProcessedAt
            FROM orders WHERE order_id = @OrderId
            """,
            new { OrderId = orderId }, cancellationToken: cancellationToken));
        return row is null
            ? null
            : new OrderView(
                row.OrderId,
                row.CustomerId,
                row.Status,
                JsonSerializer.Deserialize(row.Items, EventJsonContext.Default.IReadOnlyListOrderLine) ?? [],
                row.FailureReason,
                DateTime.SpecifyKind(row.CreatedAt, DateTimeKind.Utc),
                row.ProcessedAt is { } processed ? DateTime.SpecifyKind(processed, DateTimeKind.Utc) : null);
    }
}
