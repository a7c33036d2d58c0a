using Dapper;
using MySqlConnector;
using OrderPipeline.AppHost.Resources;

namespace OrderPipeline.AppHost.Dashboard.Pipeline;

public sealed record RecentOrder(string OrderId, string CustomerId, string Status, string? FailureReason, DateTime CreatedAt, DateTime? ProcessedAt);

public sealed record StockLevel(string ProductId, string ProductName, int QuantityAvailable, DateTime UpdatedAt);

/// <summary>Reads orders and stock straight from the pipeline's database, with the database resource's connection string.</summary>
public sealed class OrderReader(MySqlDatabaseResource? database)
{
    public async Task<IReadOnlyList<RecentOrder>> RecentOrdersAsync(int limit, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        return [.. await connection.QueryAsync<RecentOrder>(new CommandDefinition(
            """
            SELECT order_id AS OrderId, customer_id AS CustomerId, status AS Status, failure_reason AS FailureReason,
                   created_at AS CreatedAt, processed_at AS ProcessedAt
            FROM orders ORDER BY created_at DESC LIMIT @limit
            """, new { limit }, cancellationToken: cancellationToken)).ConfigureAwait(false)];
    }

    /// <summary>Most recently changed first: the products orders are moving.</summary>
    public async Task<IReadOnlyList<StockLevel>> StockAsync(int limit, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        return [.. await connection.QueryAsync<StockLevel>(new CommandDefinition(
            """
            SELECT product_id AS ProductId, product_name AS ProductName, quantity_available AS QuantityAvailable, updated_at AS UpdatedAt
            FROM inventory ORDER BY updated_at DESC, product_id LIMIT @limit
            """, new { limit }, cancellationToken: cancellationToken)).ConfigureAwait(false)];
    }

    private async Task<MySqlConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connectionString = database?.ConnectionString ?? throw new InvalidOperationException("The app has no MySQL database.");
        var connection = new MySqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        return connection;
    }
}
