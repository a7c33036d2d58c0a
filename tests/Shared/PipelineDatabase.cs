using Dapper;
using MySqlConnector;

namespace OrderPipeline.Tests.Shared;

/// <summary>Arranges and inspects the database the tests' pipeline uses.</summary>
public sealed class PipelineDatabase(string connectionString)
{
    public string ConnectionString { get; } = connectionString;

    /// <summary>A product of the test's own, so tests never share stock.</summary>
    public async Task<string> AddProductAsync(int stock, string prefix = "T")
    {
        var productId = $"{prefix}-{Guid.NewGuid():N}"[..24];
        await using var connection = new MySqlConnection(ConnectionString);
        await connection.ExecuteAsync(
            "INSERT INTO inventory (product_id, product_name, quantity_available) VALUES (@productId, 'test product', @stock)",
            new { productId, stock });
        return productId;
    }

    public async Task<int> StockAsync(string productId)
    {
        await using var connection = new MySqlConnection(ConnectionString);
        return await connection.ExecuteScalarAsync<int>("SELECT quantity_available FROM inventory WHERE product_id = @productId", new { productId });
    }

    public async Task<string?> StatusAsync(string orderId)
    {
        await using var connection = new MySqlConnection(ConnectionString);
        return await connection.ExecuteScalarAsync<string?>("SELECT status FROM orders WHERE order_id = @orderId", new { orderId });
    }

    public async Task<IReadOnlyList<(string OrderId, string Status)>> OrdersOfCustomerAsync(string customerId)
    {
        await using var connection = new MySqlConnection(ConnectionString);
        return [.. await connection.QueryAsync<(string, string)>("SELECT order_id, status FROM orders WHERE customer_id = @customerId", new { customerId })];
    }

    public async Task<long> CountAsync(string sql, object? parameters = null)
    {
        await using var connection = new MySqlConnection(ConnectionString);
        return await connection.ExecuteScalarAsync<long>(sql, parameters);
    }

    /// <summary>
    /// Until disposed, every update of this product's stock writes <paramref name="forcedStock"/> instead: a stand-in
    /// for a bug or a bad value, so the same statement fails the same way on every retry when the table refuses it.
    /// </summary>
    /// <param name="forcedStock">A SQL literal (a test's constant, never input).</param>
    public async Task<IAsyncDisposable> ForceStockWritesAsync(string productId, string forcedStock)
    {
        // Triggers take no parameters; both values are the test's own (a generated product id and a numeric literal).
        var trigger = $"t_refuse_{Guid.NewGuid():N}"[..30];
        await using var connection = new MySqlConnection(ConnectionString);
        await connection.ExecuteAsync($"""
            CREATE TRIGGER {trigger} BEFORE UPDATE ON inventory FOR EACH ROW
            SET NEW.quantity_available = IF(NEW.product_id = '{productId}', {forcedStock}, NEW.quantity_available)
            """);
        return new DroppedTrigger(ConnectionString, trigger);
    }

    private sealed class DroppedTrigger(string connectionString, string trigger) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await using var connection = new MySqlConnection(connectionString);
            await connection.ExecuteAsync($"DROP TRIGGER IF EXISTS {trigger}");
        }
    }
}
