using Microsoft.Extensions.Configuration;
using MySqlConnector;
using OrderPipeline.Aws;

namespace OrderPipeline.Data;

/// <summary>
/// Where the database password comes from. Locally it is in the connection string the orchestrator passes;
/// in AWS the connection string has none and <c>Database:SecretArn</c> names the Secrets Manager secret.
/// </summary>
internal static class DatabaseCredentials
{
    public static MySqlConnectionStringBuilder Apply(MySqlConnectionStringBuilder connection, IConfiguration configuration)
    {
        var secretArn = configuration["Database:SecretArn"];
        if (string.IsNullOrWhiteSpace(secretArn))
        {
            return connection;
        }
        var secret = SecretsManagerSecretReader.FromEnvironment().ReadUserPassword(secretArn);
        connection.UserID = secret.Username;
        connection.Password = secret.Password;
        return connection;
    }
}
