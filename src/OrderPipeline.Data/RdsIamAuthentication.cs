using Microsoft.Extensions.Configuration;
using MySqlConnector;
using OrderPipeline.Aws;

namespace OrderPipeline.Data;

/// <summary>
/// IAM database authentication for MySqlConnector. With <c>Database:IamAuthentication=true</c> (the AWS template sets
/// it for the Api, the Processor and the Notifier) the connection string names the host, port and the service's own
/// database user and has no password; each new connection signs in with an <see cref="RdsAuthToken"/> made from the
/// function role's credentials for that host, port and user. Nothing is read from Secrets Manager, so a rotation of
/// the master secret never concerns a running function.
/// </summary>
/// <remarks>
/// Tokens are accepted for 15 minutes. MySqlConnector's periodic password provider keeps one token and makes a new one
/// every <see cref="RefreshInterval"/> (10 minutes: a connection opened just before a refresh still gets a token with
/// 5 minutes left), and retries after <see cref="RetryInterval"/> when making one failed (no credentials yet).
/// The region is <c>Database:Region</c>, else <c>AWS_REGION</c> (set by Lambda), else <c>AWS:Region</c>.
/// </remarks>
internal sealed class RdsIamAuthentication(string region, Func<AwsCredentials> credentials, TimeProvider time)
{
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromMinutes(10);
    public static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(5);

    public static bool IsEnabled(IConfiguration configuration) =>
        bool.TryParse(configuration["Database:IamAuthentication"], out var enabled) && enabled;

    /// <summary>Adds the token provider to <paramref name="builder"/> when IAM authentication is configured.</summary>
    public static MySqlDataSourceBuilder Configure(MySqlDataSourceBuilder builder, IConfiguration configuration)
    {
        if (!IsEnabled(configuration))
        {
            return builder;
        }
        var region = configuration["Database:Region"] ?? Environment.GetEnvironmentVariable("AWS_REGION") ?? configuration["AWS:Region"]
            ?? throw new InvalidOperationException("Database:IamAuthentication is on but no region is set (Database:Region, AWS_REGION or AWS:Region).");
        var authentication = new RdsIamAuthentication(region, CredentialsFromEnvironment, TimeProvider.System);
        return builder.UsePeriodicPasswordProvider(
            (context, _) => ValueTask.FromResult(authentication.Token(context.Server, context.Port, context.UserId)),
            RefreshInterval,
            RetryInterval);
    }

    public string Token(string host, int port, string user) =>
        RdsAuthToken.Generate(host, port, user, region, credentials(), time.GetUtcNow().UtcDateTime);

    /// <summary>The credentials Lambda puts in every function's environment (the function role's), read at each refresh.</summary>
    internal static AwsCredentials CredentialsFromEnvironment() => AwsCredentials.FromEnvironment("sign the database token");
}
