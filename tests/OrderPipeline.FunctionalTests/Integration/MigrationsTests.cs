using System.Net;
using System.Text.Json;
using Dapper;
using MySqlConnector;
using OrderPipeline.Migrations;
using OrderPipeline.Tests.Shared;
using OrderPipeline.FunctionalTests.Support;

namespace OrderPipeline.FunctionalTests.Integration;

/// <summary>
/// The migration step, as the AWS deployment runs it (behind the Lambda Web Adapter, POST /events applies), against the
/// real MariaDB. The collection runs its tests one at a time, so a test may change the schema's history and restore it.
/// </summary>
[Collection(InfrastructureCollection.Name)]
public sealed class MigrationsTests(InfrastructureFixture infra)
{
    private ServiceFactory<DatabaseMigrator> MigrationFunction(bool seed = false, string? connectionString = null) =>
        new(infra.ServiceSettings().With(
            ("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001"),
            ("Migrations:SeedSampleData", seed ? "true" : "false"),
            ("ConnectionStrings:orders", connectionString ?? infra.Database.ConnectionString)));

    private static async Task<(HttpStatusCode Status, JsonElement Body)> InvokeAsync(ServiceFactory<DatabaseMigrator> function)
    {
        using var client = function.CreateClient();
        using var response = await client.PostAsync("/events", new StringContent("{}"), TestContext.Current.CancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            return (response.StatusCode, default);
        }
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        return (response.StatusCode, JsonDocument.Parse(text).RootElement.Clone());
    }

    private async Task ExecuteAsync(string sql, object? parameters = null)
    {
        await using var connection = new MySqlConnection(infra.Database.ConnectionString);
        await connection.ExecuteAsync(sql, parameters);
    }

    [Fact]
    public async Task On_an_up_to_date_database_it_applies_nothing_and_says_so()
    {
        await using var function = MigrationFunction();
        var (status, body) = await InvokeAsync(function);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("applied", body.GetProperty("status").GetString());
        Assert.Empty(body.GetProperty("applied").EnumerateArray());
        var recorded = await infra.Database.CountAsync("SELECT COUNT(*) FROM schema_migrations");
        Assert.Equal(MigrationScript.Embedded().Count, recorded);
    }

    [Fact]
    public async Task A_migration_the_database_has_not_recorded_is_applied_once_and_recorded()
    {
        // As if the database predated the initial migration's table: it is created, and the history catches up.
        await ExecuteAsync("DROP TABLE notifications");
        await ExecuteAsync("DELETE FROM schema_migrations WHERE version = 1");

        await using var function = MigrationFunction();
        var (status, body) = await InvokeAsync(function);
        var (statusAgain, bodyAgain) = await InvokeAsync(function);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(["0001_initial"], body.GetProperty("applied").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(0, await infra.Database.CountAsync("SELECT COUNT(*) FROM notifications"));
        Assert.Equal(1, await infra.Database.CountAsync("SELECT COUNT(*) FROM schema_migrations WHERE version = 1"));
        Assert.Equal(HttpStatusCode.OK, statusAgain);
        Assert.Empty(bodyAgain.GetProperty("applied").EnumerateArray());
    }

    [Fact]
    public async Task An_applied_migration_that_was_edited_afterwards_stops_the_deployment()
    {
        var original = await ScalarAsync("SELECT checksum FROM schema_migrations WHERE version = 1");
        await ExecuteAsync("UPDATE schema_migrations SET checksum = @Checksum WHERE version = 1", new { Checksum = new string('0', 64) });
        try
        {
            await using var function = MigrationFunction();
            var (status, _) = await InvokeAsync(function);

            Assert.True((int)status >= 500, $"got {(int)status}");
        }
        finally
        {
            await ExecuteAsync("UPDATE schema_migrations SET checksum = @Checksum WHERE version = 1", new { Checksum = original });
        }
    }

    [Fact]
    public async Task Sample_products_are_loaded_only_when_asked_for()
    {
        await ExecuteAsync("DELETE FROM inventory WHERE product_id = 'SKU-1001'");

        await using (var production = MigrationFunction(seed: false))
        {
            Assert.Equal(HttpStatusCode.OK, (await InvokeAsync(production)).Status);
        }
        Assert.Equal(0, await infra.Database.CountAsync("SELECT COUNT(*) FROM inventory WHERE product_id = 'SKU-1001'"));

        await using (var demo = MigrationFunction(seed: true))
        {
            Assert.Equal(HttpStatusCode.OK, (await InvokeAsync(demo)).Status);
        }
        Assert.Equal(1, await infra.Database.CountAsync("SELECT COUNT(*) FROM inventory WHERE product_id = 'SKU-1001'"));
    }

    [Fact]
    public async Task Invoked_against_an_unreachable_database_it_answers_a_server_error_so_the_deployment_stops()
    {
        await using var function = MigrationFunction(connectionString: "Server=127.0.0.1;Port=1;User ID=x;Password=y;Database=orders;Connection Timeout=2");
        var (status, _) = await InvokeAsync(function);

        Assert.True((int)status >= 500, $"got {(int)status}");
    }

    private async Task<string> ScalarAsync(string sql)
    {
        await using var connection = new MySqlConnection(infra.Database.ConnectionString);
        return await connection.ExecuteScalarAsync<string>(sql) ?? throw new InvalidOperationException(sql + " returned nothing");
    }
}
