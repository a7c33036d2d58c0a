using Dapper;
using MySqlConnector;

namespace OrderPipeline.Tests.Support;

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
}
