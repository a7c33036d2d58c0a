using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using MySqlConnector;

namespace OrderPipeline.Data;

/// <summary>
/// The MySQL client the way Aspire's MySqlConnector integration wires it: a pooled <see cref="MySqlDataSource"/>
/// from <c>ConnectionStrings:{name}</c>, a "mysql" health check, and MySqlConnector's own traces and metrics.
/// </summary>
public static class MySqlDataSourceExtensions
{
    public static IHostApplicationBuilder AddMySqlDataSource(this IHostApplicationBuilder builder, string connectionName)
    {
        builder.Services.AddSingleton(sp =>
        {
            var connectionString = builder.Configuration.GetConnectionString(connectionName);
            if (string.IsNullOrWhiteSpace(connectionString))
            {
                throw new InvalidOperationException(
                    $"No connection string '{connectionName}': set ConnectionStrings__{connectionName} (the AppHost does this for you).");
            }
            var connection = DatabaseCredentials.Apply(new MySqlConnectionStringBuilder(connectionString), builder.Configuration);
            var dataSource = new MySqlDataSourceBuilder(connection.ConnectionString)
                .UseLoggerFactory(sp.GetRequiredService<ILoggerFactory>());
            // In AWS: an IAM token per connection instead of a password (Database:IamAuthentication).
            return RdsIamAuthentication.Configure(dataSource, builder.Configuration).Build();
        });
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(
            "mysql", sp => new MySqlHealthCheck(sp.GetRequiredService<MySqlDataSource>()), failureStatus: null, tags: ["ready"]));
        return builder;
    }

    /// <summary>
    /// Makes database outages pause the service's queue consumers instead of sending their messages to a DLQ
    /// (see <see cref="MySqlOutageDetector"/>). Call after <see cref="AddMySqlDataSource"/>.
    /// </summary>
    /// <param name="probeSql">A write on one of the service's tables that matches nothing, e.g. <c>UPDATE t SET c = c WHERE FALSE</c>.</param>
    public static IHostApplicationBuilder AddMySqlOutageDetection(this IHostApplicationBuilder builder, string probeSql, TimeSpan? probeTimeout = null)
    {
        builder.Services.AddSingleton<OrderPipeline.Outages.IOutageDetector>(sp => new MySqlOutageDetector(
            sp.GetRequiredService<MySqlDataSource>(), probeSql, probeTimeout ?? TimeSpan.FromSeconds(3),
            sp.GetRequiredService<ILogger<MySqlOutageDetector>>()));
        return builder;
    }

    private sealed class MySqlHealthCheck(MySqlDataSource dataSource) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
                await using var command = new MySqlCommand("SELECT 1", connection);
                await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
                return HealthCheckResult.Healthy();
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                return new HealthCheckResult(context.Registration.FailureStatus, "MySQL is not reachable: " + ex.Message);
            }
        }
    }
}
