using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using MySqlConnector;
using Xunit;
using OrderPipeline.Aws;
using OrderPipeline.Data;

namespace OrderPipeline.InfraTests;

/// <summary>
/// The RDS IAM authentication token the services sign in with in AWS (ServiceDefaults/Aws/RdsAuthToken.cs) and its
/// wiring into MySqlConnector (RdsIamAuthentication.cs). No AWS account is needed: the token is computed locally.
/// </summary>
public sealed class RdsAuthTokenTests
{
    // The published vector of botocore's generate_db_auth_token (also reproduced by other SDKs' tests): access key
    // "akid", secret "skid", no session token, 2016-11-07T17:39:33Z.
    private static readonly AwsCredentials VectorCredentials = new("akid", "skid", null);
    private static readonly DateTime VectorTime = new(2016, 11, 7, 17, 39, 33, DateTimeKind.Utc);

    [Fact]
    public void Token_matches_the_published_botocore_vector()
    {
        var token = RdsAuthToken.Generate("prod-instance.us-east-1.rds.amazonaws.com", 3306, "someusername", "us-east-1", VectorCredentials, VectorTime);

        Assert.Equal(
            "prod-instance.us-east-1.rds.amazonaws.com:3306/?Action=connect&DBUser=someusername&X-Amz-Algorithm=AWS4-HMAC-SHA256"
            + "&X-Amz-Credential=akid%2F20161107%2Fus-east-1%2Frds-db%2Faws4_request&X-Amz-Date=20161107T173933Z&X-Amz-Expires=900"
            + "&X-Amz-SignedHeaders=host&X-Amz-Signature=d1138cdbc0ca63eec012ec0fc6c2267e03642168f5884a7795320d4c18374c61",
            token);
    }

    [Fact]
    public void Token_signs_the_session_token_of_the_function_role_in_the_sorted_query()
    {
        var withSession = RdsAuthToken.Generate("proxy.example", 3306, "orderpipeline_api", "eu-west-1", new("AKID", "SECRET", "session/token+="), VectorTime);
        var withoutSession = RdsAuthToken.Generate("proxy.example", 3306, "orderpipeline_api", "eu-west-1", new("AKID", "SECRET", null), VectorTime);

        var query = withSession[(withSession.IndexOf('?', StringComparison.Ordinal) + 1)..];
        var names = query.Split('&').Select(p => p[..p.IndexOf('=', StringComparison.Ordinal)]).ToList();
        Assert.Equal(
            [
                "Action", "DBUser", "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-Security-Token",
                "X-Amz-SignedHeaders", "X-Amz-Signature",
            ],
            names);
        Assert.Contains("X-Amz-Security-Token=session%2Ftoken%2B%3D", query, StringComparison.Ordinal);
        Assert.DoesNotContain("X-Amz-Security-Token", withoutSession, StringComparison.Ordinal);
        Assert.NotEqual(Signature(withSession), Signature(withoutSession));
    }

    [Fact]
    public void Token_is_host_and_port_without_a_scheme_and_is_valid_for_fifteen_minutes()
    {
        var token = RdsAuthToken.Generate(
            "orderpipeline-proxy.proxy-abc.eu-west-1.rds.amazonaws.com", 3306, "orderpipeline_processor", "eu-west-1",
            VectorCredentials, VectorTime);

        Assert.StartsWith(
            "orderpipeline-proxy.proxy-abc.eu-west-1.rds.amazonaws.com:3306/?Action=connect&DBUser=orderpipeline_processor&",
            token,
            StringComparison.Ordinal);
        Assert.Contains("&X-Amz-Expires=900&", token, StringComparison.Ordinal);
        Assert.Contains("%2Feu-west-1%2Frds-db%2Faws4_request", token, StringComparison.Ordinal);
        Assert.Equal(TimeSpan.FromMinutes(15), RdsAuthToken.Lifetime);
    }

    [Fact]
    public void Provider_makes_a_new_token_before_the_cached_one_expires()
    {
        // MySqlConnector reuses the provided password until the refresh interval has passed: a token handed to a
        // connection at the end of that interval must still have time left.
        Assert.True(RdsIamAuthentication.RefreshInterval < RdsAuthToken.Lifetime - TimeSpan.FromMinutes(2));
        Assert.True(RdsIamAuthentication.RetryInterval < TimeSpan.FromMinutes(1));
    }

    [Fact]
    public void Provider_signs_for_the_connections_host_port_and_user_at_the_current_time()
    {
        var time = new ManualTime(new DateTimeOffset(VectorTime));
        var authentication = new RdsIamAuthentication("us-east-1", () => VectorCredentials, time);

        Assert.Equal(
            RdsAuthToken.Generate("prod-instance.us-east-1.rds.amazonaws.com", 3306, "someusername", "us-east-1", VectorCredentials, VectorTime),
            authentication.Token("prod-instance.us-east-1.rds.amazonaws.com", 3306, "someusername"));

        time.Advance(TimeSpan.FromMinutes(10));
        Assert.Contains(
            "X-Amz-Date=20161107T174933Z",
            authentication.Token("prod-instance.us-east-1.rds.amazonaws.com", 3306, "someusername"),
            StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, false)]
    [InlineData("false", false)]
    [InlineData("true", true)]
    [InlineData("True", true)]
    public void Iam_authentication_is_on_only_when_configured(string? value, bool expected)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Database:IamAuthentication"] = value })
            .Build();

        Assert.Equal(expected, RdsIamAuthentication.IsEnabled(configuration));
    }

    [Fact]
    public void Without_the_setting_the_data_source_is_built_as_before()
    {
        var configuration = new ConfigurationBuilder().Build();
        var builder = new MySqlDataSourceBuilder("Server=127.0.0.1;User ID=u;Password=p");

        Assert.Same(builder, RdsIamAuthentication.Configure(builder, configuration));
        using var dataSource = builder.Build();
        Assert.Contains("Password=p", dataSource.ConnectionString, StringComparison.Ordinal);
    }

    [Fact]
    public void With_the_setting_and_a_region_the_data_source_gets_a_password_provider()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Database:IamAuthentication"] = "true", ["Database:Region"] = "eu-west-1" })
            .Build();
        var builder = new MySqlDataSourceBuilder("Server=proxy.example;Port=3306;User ID=orderpipeline_api;SslMode=VerifyFull");

        using var dataSource = RdsIamAuthentication.Configure(builder, configuration).Build();

        Assert.DoesNotContain("Password", dataSource.ConnectionString, StringComparison.OrdinalIgnoreCase);
    }

    private sealed class ManualTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;

        public void Advance(TimeSpan by) => now += by;
    }

    private static string Signature(string token) => token[(token.LastIndexOf("X-Amz-Signature=", StringComparison.Ordinal) + "X-Amz-Signature=".Length)..];
}
