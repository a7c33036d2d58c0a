using System.Text.RegularExpressions;
using OrderPipeline.AppHost.Deployment;
using OrderPipeline.InfraTests.Support;
using OrderPipeline.Migrations.Aws;
using OrderPipeline.Testing;
using Xunit;
using YamlDotNet.RepresentationModel;
using static OrderPipeline.AppHost.Deployment.CloudFormationTemplate;

namespace OrderPipeline.InfraTests;

/// <summary>
/// How the functions reach MySQL in AWS (data, credentials, TLS verified): each service as its own database user
/// with an IAM token through RDS Proxy, no master user outside the migration step, the server certificate verified
/// against the bundle deploy.sh ships, MySQL 8.4. Checked against the template, the migration step's embedded user
/// script and deploy.sh together, so that the three cannot drift apart.
/// </summary>
public sealed partial class DatabaseAccessTests
{
    private const string CaBundlePath = "/var/task/certs/rds-ca-bundle.pem";

    private static readonly Dictionary<string, string> ServiceUsers = new(StringComparer.Ordinal)
    {
        ["ApiFunction"] = "orderpipeline_api",
        ["ProcessorFunction"] = "orderpipeline_processor",
        ["NotifierFunction"] = "orderpipeline_notifier",
    };

    private readonly CloudFormationTemplate template = RepositoryTemplate.Load();

    public static TheoryData<string, string, string> Services => new()
    {
        { "ApiFunction", "ApiRole", "orderpipeline_api" },
        { "ProcessorFunction", "ProcessorRole", "orderpipeline_processor" },
        { "NotifierFunction", "NotifierRole", "orderpipeline_notifier" },
    };

    [Theory]
    [MemberData(nameof(Services))]
    public void Service_connects_through_the_proxy_as_its_own_user_with_an_iam_token_and_no_secret(string function, string role, string user)
    {
        var variables = Variables(function);
        var settings = ConnectionStringSettings(SubFormat(EnvironmentValue(function, "ConnectionStrings__orders"))!);

        Assert.Equal("${DBProxy.Endpoint}", settings["Server"]);
        Assert.Equal(user, settings["User ID"]);
        Assert.False(settings.ContainsKey("Password"));
        Assert.Equal("true", variables["Database__IamAuthentication"]);
        Assert.DoesNotContain(variables.Keys, key => key.Contains("Secret", StringComparison.OrdinalIgnoreCase));

        // Its role may connect as that user through the proxy, and as no other user.
        var connect = Statements(role).Where(s => Actions(s).Contains("rds-db:connect")).ToList();
        var statement = Assert.Single(connect);
        var resource = Assert.Single(Items(Child(statement, "Resource")));
        Assert.Equal(
            $"arn:${{AWS::Partition}}:rds-db:${{AWS::Region}}:${{AWS::AccountId}}:dbuser:${{ProxyResourceId}}/{user}",
            SubFormat(resource));
        Assert.DoesNotContain(Statements(role).SelectMany(Actions), action => action.StartsWith("secretsmanager:", StringComparison.Ordinal));
    }

    [Fact]
    public void Rds_db_connect_names_the_proxy_by_its_resource_id_taken_from_its_arn()
    {
        // rds-db:connect through RDS Proxy is authorised on the proxy's resource id (prx-...), the 7th field of
        // arn:<partition>:rds:<region>:<account>:db-proxy:prx-... .
        foreach (var role in new[] { "ApiRole", "ProcessorRole", "NotifierRole" })
        {
            var resource = Items(Child(Statements(role).Single(s => Actions(s).Contains("rds-db:connect")), "Resource")).Single();
            var variables = (YamlMappingNode)((YamlSequenceNode)resource).Children[1];
            var select = variables["ProxyResourceId"];
            Assert.Equal("!Select", Tag(select));
            var arguments = (YamlSequenceNode)select;
            Assert.Equal("6", Scalar(arguments.Children[0]));
            var split = (YamlSequenceNode)arguments.Children[1];
            Assert.Equal("!Split", Tag(split));
            Assert.Equal(":", ((YamlScalarNode)split.Children[0]).Value);
            Assert.Equal("GetAtt:DBProxy.DBProxyArn", Describe(split.Children[1]));
        }
    }

    [Fact]
    public void Proxy_authenticates_the_service_users_with_iam_end_to_end_and_the_master_user_with_its_secret()
    {
        var proxy = template.Properties("DBProxy");
        Assert.Equal("IAM_AUTH", Scalar(proxy["DefaultAuthScheme"]));

        // The one secret-based entry is the master user's, for the migration step's password sign-in.
        var auth = Assert.Single(Items(proxy["Auth"]));
        Assert.Equal("GetAtt:DB.MasterUserSecret.SecretArn", Describe(Child(auth, "SecretArn")));
        Assert.Equal("DISABLED", Scalar(Child(auth, "IAMAuth")));
        Assert.NotEqual("MYSQL_NATIVE_PASSWORD", Scalar(Child(auth, "ClientPasswordAuthType"))); // off by default in MySQL 8.4

        // The proxy signs in to the instance as exactly the users the services connect as.
        var instanceUsers = Statements("ProxyRole")
            .Where(s => Actions(s).Contains("rds-db:connect"))
            .SelectMany(s => Items(Child(s, "Resource")))
            .Select(r => SubFormat(r)!)
            .Select(arn =>
            {
                Assert.StartsWith("arn:${AWS::Partition}:rds-db:${AWS::Region}:${AWS::AccountId}:dbuser:${DB.DbiResourceId}/", arn, StringComparison.Ordinal);
                return arn[(arn.LastIndexOf('/') + 1)..];
            })
            .Order(StringComparer.Ordinal);
        Assert.Equal(ServiceUsers.Values.Order(StringComparer.Ordinal), instanceUsers);
        Assert.Equal("true", Scalar(template.Properties("DB")["EnableIAMDatabaseAuthentication"]));
    }

    [Fact]
    public void Only_the_migrations_function_and_the_proxy_can_read_the_master_secret()
    {
        var readers = template.OfType("AWS::IAM::Role")
            .Where(role => Statements(role).Any(s => Actions(s).Contains("secretsmanager:GetSecretValue")))
            .Order(StringComparer.Ordinal);
        Assert.Equal(["MigrationsRole", "ProxyRole"], readers);

        var withSecretSetting = template.OfType("AWS::Lambda::Function").Where(f => Variables(f).ContainsKey("Database__SecretArn"));
        Assert.Equal(["MigrationsFunction"], withSecretSetting);
        Assert.Equal(
            "${DBMasterUsername}",
            ConnectionStringSettings(SubFormat(EnvironmentValue("MigrationsFunction", "ConnectionStrings__orders"))!)["User ID"]);
    }

    [Fact]
    public void Every_connection_verifies_the_server_certificate_against_the_bundle_deploy_ships()
    {
        var connectionStrings = template.OfType("AWS::Lambda::Function").Select(f => SubFormat(EnvironmentValue(f, "ConnectionStrings__orders"))!).ToList();
        Assert.Equal(4, connectionStrings.Count);
        foreach (var settings in connectionStrings.Select(ConnectionStringSettings))
        {
            Assert.Equal("VerifyFull", settings["SslMode"]);
            Assert.Equal(CaBundlePath, settings["SslCa"]);
        }

        // package.sh downloads the RDS global bundle (and the Amazon roots the proxy's ACM certificate chains to) and
        // puts it at certs/rds-ca-bundle.pem in every zip; Lambda unpacks a zip to /var/task. The bundle is not
        // committed: it is fetched at each deployment.
        var script = DeployScript();
        Assert.Contains("https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem", script, StringComparison.Ordinal);
        Assert.Contains("https://www.amazontrust.com/repository/AmazonRootCA1.pem", script, StringComparison.Ordinal);
        Assert.Matches(@"for service in [A-Za-z ]+; do[\s\S]*cp ""\$CA_BUNDLE"" ""\$out/certs/rds-ca-bundle\.pem""[\s\S]*zip -q -X[\s\S]*done", script);
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(RepositoryRoot.Path, "infra"), "*.pem", SearchOption.TopDirectoryOnly));
        Assert.DoesNotContain(Directory.EnumerateFiles(Path.Combine(RepositoryRoot.Path, "infra", "lib")), f => f.EndsWith(".pem", StringComparison.Ordinal));
    }

    [Fact]
    public void Database_is_mysql_8_4_with_tls_required_and_a_parameter_group_of_that_family()
    {
        var db = template.Properties("DB");
        var version = template.Parameter("DBEngineVersion");
        Assert.Equal("8.4", Scalar(Child(version, "Default")));
        Assert.Equal(@"^8\.4(\.\d+)?$", Scalar(Child(version, "AllowedPattern")));

        Assert.Equal("Ref:DBParameterGroup", Describe(db["DBParameterGroupName"]));
        var parameterGroup = template.Properties("DBParameterGroup");
        Assert.Equal("mysql8.4", Scalar(parameterGroup["Family"]));
        Assert.Equal("1", Scalar(At(parameterGroup, "Parameters", "require_secure_transport")));
        Assert.Equal("Ref:DBMaxConnections", Describe(At(parameterGroup, "Parameters", "max_connections")));
    }

    // ----------------------------------------------------------------------------------------------------------------
    // The migration step's user script
    // ----------------------------------------------------------------------------------------------------------------
    [Fact]
    public void Migration_step_creates_exactly_the_users_the_template_connects_as_and_only_when_told_it_runs_in_aws()
    {
        var statements = IamDatabaseUsers.Statements();
        var created = statements
            .Select(s => CreateUser().Match(s))
            .Where(m => m.Success)
            .Select(m => m.Groups["user"].Value)
            .Order(StringComparer.Ordinal);
        Assert.Equal(ServiceUsers.Values.Order(StringComparer.Ordinal), created);
        Assert.All(statements.Where(s => s.StartsWith("CREATE USER", StringComparison.Ordinal)), s =>
            Assert.Contains("IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS'", s, StringComparison.Ordinal));

        Assert.Equal("true", Variables("MigrationsFunction")["Migrations__CreateIamDatabaseUsers"]);
        Assert.All(
            new[] { "ApiFunction", "ProcessorFunction", "NotifierFunction" },
            f => Assert.False(Variables(f).ContainsKey("Migrations__CreateIamDatabaseUsers")));
    }

    /// <summary>
    /// The outage probe is a write on one of the service's tables (a read-only server must refuse it). In AWS the
    /// service runs it as its own user: a privilege that user lacks would make every probe fail, and the breaker
    /// would never close.
    /// </summary>
    [Theory]
    [InlineData("OrderPipeline.Processor", "orderpipeline_processor")]
    [InlineData("OrderPipeline.Notifier", "orderpipeline_notifier")]
    public void Each_services_outage_probe_is_a_write_its_database_user_is_granted(string project, string user)
    {
        var wiring = File.ReadAllText(Path.Combine(RepositoryRoot.Path, "src", project, "Extensions", "Extensions.cs"));
        var probe = OutageProbe().Match(wiring);
        Assert.True(probe.Success, $"{project} registers no outage probe");
        var privilege = probe.Groups["verb"].Value;
        var table = probe.Groups["table"].Value;

        Assert.Contains(privilege, new[] { "UPDATE", "DELETE", "INSERT" });
        Assert.Contains(IamDatabaseUsers.Statements().Select(s => Grant().Match(s)), m => m.Success
            && m.Groups["user"].Value == user
            && m.Groups["table"].Value == table
            && m.Groups["privileges"].Value.Split(',', StringSplitOptions.TrimEntries).Contains(privilege));
    }

    [GeneratedRegex("""AddMySqlOutageDetection\("(?<verb>UPDATE|DELETE|INSERT)\s+(?:FROM\s+|INTO\s+)?(?<table>\w+)""")]
    private static partial Regex OutageProbe();

    [Fact]
    public void Each_service_user_gets_only_the_grants_its_service_needs()
    {
        var grants = IamDatabaseUsers.Statements()
            .Select(s => Grant().Match(s))
            .Where(m => m.Success)
            .SelectMany(m => m.Groups["privileges"].Value.Split(',', StringSplitOptions.TrimEntries)
                .Select(privilege => $"{m.Groups["user"].Value}: {privilege} {m.Groups["table"].Value}"))
            .Order(StringComparer.Ordinal)
            .ToList();

        Assert.Equal(
            [
                "orderpipeline_api: DELETE idempotency_keys",
                "orderpipeline_api: INSERT idempotency_keys",
                "orderpipeline_api: SELECT idempotency_keys",
                "orderpipeline_api: SELECT orders",
                "orderpipeline_api: UPDATE idempotency_keys",
                "orderpipeline_notifier: DELETE notifications",
                "orderpipeline_notifier: INSERT notifications",
                "orderpipeline_notifier: SELECT notifications",
                "orderpipeline_processor: DELETE outbox",
                "orderpipeline_processor: INSERT orders",
                "orderpipeline_processor: INSERT outbox",
                "orderpipeline_processor: SELECT inventory",
                "orderpipeline_processor: SELECT orders",
                "orderpipeline_processor: SELECT outbox",
                "orderpipeline_processor: UPDATE inventory",
                "orderpipeline_processor: UPDATE orders",
                "orderpipeline_processor: UPDATE outbox",
            ],
            grants);

        // Nothing else: no global or database-wide grant, no other statement.
        Assert.All(IamDatabaseUsers.Statements(), s => Assert.True(CreateUser().IsMatch(s) || Grant().IsMatch(s), $"Unexpected statement: {s}"));
    }

    [Fact]
    public void Mysql_only_user_setup_stays_out_of_the_migrations_that_also_run_on_mariadb()
    {
        var migrations = Directory.GetFiles(Path.Combine(RepositoryRoot.Path, "db", "migrations"), "*.sql");
        Assert.NotEmpty(migrations);
        Assert.All(migrations, file => Assert.DoesNotContain("AWSAuthenticationPlugin", File.ReadAllText(file), StringComparison.OrdinalIgnoreCase));
        Assert.All(migrations, file => Assert.DoesNotContain("CREATE USER", File.ReadAllText(file), StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void User_script_splits_into_statements_and_refuses_a_statement_without_its_semicolon()
    {
        Assert.Equal(
            ["CREATE USER IF NOT EXISTS 'a'@'%' IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS'", "GRANT SELECT ON orders.orders TO 'a'@'%'"],
            IamDatabaseUsers.Split("-- comment\nCREATE USER IF NOT EXISTS 'a'@'%'\n"
                + "  IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS';\n\nGRANT SELECT ON orders.orders TO 'a'@'%';\n"));
        Assert.Throws<InvalidOperationException>(() => IamDatabaseUsers.Split("GRANT SELECT ON orders.orders TO 'a'@'%'"));
    }

    // ----------------------------------------------------------------------------------------------------------------
    private IEnumerable<YamlMappingNode> Statements(string role) =>
        Items(Child(template.Properties(role), "Policies"))
            .SelectMany(policy => Items(At(policy, "PolicyDocument", "Statement")))
            .Cast<YamlMappingNode>();

    private static IEnumerable<string> Actions(YamlMappingNode statement) => Items(Child(statement, "Action")).Select(Scalar);

    private YamlNode EnvironmentValue(string function, string name) => At(template.Properties(function), "Environment", "Variables", name)!;

    private Dictionary<string, string> Variables(string function) =>
        ((YamlMappingNode)At(template.Properties(function), "Environment", "Variables")!).Children
            .ToDictionary(kv => ((YamlScalarNode)kv.Key).Value!, kv => Describe(kv.Value), StringComparer.Ordinal);

    private static string DeployScript() =>
        DeploymentScripts.Text;

    [GeneratedRegex(@"^CREATE USER IF NOT EXISTS '(?<user>\w+)'@'%' ")]
    private static partial Regex CreateUser();

    [GeneratedRegex(@"^GRANT (?<privileges>[A-Z, ]+) ON orders\.(?<table>\w+) TO '(?<user>\w+)'@'%'$")]
    private static partial Regex Grant();
}
