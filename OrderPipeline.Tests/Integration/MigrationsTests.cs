using System.Net;
using System.Text.Json;
using OrderPipeline.Migrations;
using OrderPipeline.Tests.Support;

namespace OrderPipeline.Tests.Integration;

/// <summary>The migration step, as the AWS deployment runs it: behind the Lambda Web Adapter, POST /events applies.</summary>
[Collection(InfrastructureCollection.Name)]
public sealed class MigrationsTests(InfrastructureFixture infra)
{
    [Fact]
    public async Task Invoked_as_a_lambda_function_it_creates_missing_tables_and_the_sample_inventory()
    {
        // The collection runs its tests one at a time, so a table can be dropped for this one.
        await using (var connection = new MySqlConnector.MySqlConnection(infra.Database.ConnectionString))
        {
            await Dapper.SqlMapper.ExecuteAsync(connection, "DROP TABLE notifications");
            await Dapper.SqlMapper.ExecuteAsync(connection, "DELETE FROM inventory WHERE product_id = 'SKU-1001'");
        }

        await using var migrations = new ServiceFactory<DatabaseMigrator>(infra.ServiceSettings()
            .With(("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001")));
        using var client = migrations.CreateClient();
        using var response = await client.PostAsync("/events", new StringContent("{}"), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal("applied", body.RootElement.GetProperty("status").GetString());
        Assert.Equal(0, await infra.Database.CountAsync("SELECT COUNT(*) FROM notifications"));
        Assert.Equal(1, await infra.Database.CountAsync("SELECT COUNT(*) FROM inventory WHERE product_id = 'SKU-1001'"));
    }

    [Fact]
    public async Task Invoked_against_an_unreachable_database_it_answers_a_server_error_so_the_deployment_stops()
    {
        await using var migrations = new ServiceFactory<DatabaseMigrator>(infra.ServiceSettings().With(
            ("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001"),
            ("ConnectionStrings:orders", "Server=127.0.0.1;Port=1;User ID=x;Password=y;Database=orders;Connection Timeout=2")));
        using var client = migrations.CreateClient();
        using var response = await client.PostAsync("/events", new StringContent("{}"), TestContext.Current.CancellationToken);

        Assert.True((int)response.StatusCode >= 500, $"got {(int)response.StatusCode}");
    }
}
