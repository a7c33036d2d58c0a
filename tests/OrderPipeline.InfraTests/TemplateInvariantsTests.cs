using System.Text.RegularExpressions;
using OrderPipeline.AppHost.Deployment;
using OrderPipeline.InfraTests.Support;
using Xunit;
using YamlDotNet.RepresentationModel;
using static OrderPipeline.AppHost.Deployment.CloudFormationTemplate;

namespace OrderPipeline.InfraTests;

/// <summary>
/// Invariants of infra/template.yaml that a structural CloudFormation check cannot see: messaging wiring, least
/// privilege IAM, database hardening, logging and the services' configuration contract.
/// </summary>
public sealed class TemplateInvariantsTests
{
    // The one IAM statement allowed to use Resource "*": the network-interface actions Lambda needs for a function
    // attached to a VPC (ec2:Describe* only work on "*"; Lambda checks the role for the set when it creates the function).
    private const string WildcardStatementSid = "VpcNetworkInterfacesRequireWildcardResource";

    // The other: sending spans to X-Ray's OTLP endpoint, authorized as xray:PutTraceSegments, which has no resource type.
    private const string TracesStatementSid = "SendTraces";

    private static readonly string[] VpcNetworkInterfaceActions =
    [
        "ec2:AssignPrivateIpAddresses",
        "ec2:CreateNetworkInterface",
        "ec2:DeleteNetworkInterface",
        "ec2:DescribeNetworkInterfaces",
        "ec2:DescribeSubnets",
        "ec2:UnassignPrivateIpAddresses",
    ];

    // Functions invoked with non-HTTP events, which the adapter POSTs raw to /events: SQS batches, and the Migrations
    // function's one invocation per deployment.
    private static readonly string[] AdapterPassThroughFunctions = ["ProcessorFunction", "NotifierFunction", "MigrationsFunction"];

    // Functions that consume an SQS queue (through an event source mapping, so their own poller is off).
    private static readonly string[] QueueConsumerFunctions = ["ProcessorFunction", "NotifierFunction"];

    private readonly CloudFormationTemplate template = RepositoryTemplate.Load();

    // ----------------------------------------------------------------------------------------------------------------
    // Queues
    // ----------------------------------------------------------------------------------------------------------------
    [Fact]
    public void The_longest_queue_url_the_processor_is_given_fits_the_outbox_destination_column()
    {
        // The Processor writes Queues__OrderProcessed into outbox.destination with every order. In AWS that is the
        // queue's URL (a !Ref), so its longest form must fit: the longest environment name the template allows, in the
        // longest region name deploy.sh accepts, with a 12-digit account.
        var given = At(template.Properties("ProcessorFunction"), "Environment", "Variables", "Queues__OrderProcessed");
        Assert.Equal("OrderProcessedQueue", RefTarget(given));
        var queueName = SubFormat(template.Properties("OrderProcessedQueue")["QueueName"])!;
        var pattern = Scalar(Child(template.Parameter("EnvironmentName"), "AllowedPattern"));
        Assert.Equal("^[a-z][a-z0-9-]{1,30}$", pattern);
        var longestRegion = Regex.Match(
                File.ReadAllText(Path.Combine(OrderPipeline.Testing.RepositoryRoot.Path, "infra", "lib", "common.sh")),
                @"LAMBDA_WEB_ADAPTER_REGIONS=""([^""]+)""").Groups[1].Value
            .Split((char[])[' ', '\n'], StringSplitOptions.RemoveEmptyEntries).MaxBy(r => r.Length)!;
        var longestQueueName = queueName.Replace("${EnvironmentName}", new string('e', 31), StringComparison.Ordinal);
        var url = $"https://sqs.{longestRegion}.amazonaws.com/123456789012/{longestQueueName}";

        // The column as the last migration that sets it leaves it.
        var column = Directory.GetFiles(Path.Combine(OrderPipeline.Testing.RepositoryRoot.Path, "db", "migrations"), "*.sql")
            .Order(StringComparer.Ordinal)
            .SelectMany(f => Regex.Matches(File.ReadAllText(f), @"\bdestination\s+VARCHAR\((\d+)\)"))
            .Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture))
            .Last();
        Assert.True(url.Length <= column, $"{url} ({url.Length} characters) does not fit outbox.destination VARCHAR({column})");
    }

    [Fact]
    public void Template_declares_the_four_queues_with_environment_prefixed_names()
    {
        var names = template.OfType("AWS::SQS::Queue")
            .ToDictionary(id => id, id => Describe(template.Properties(id)["QueueName"]), StringComparer.Ordinal);

        Assert.Equal(
            new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["OrderCreatedQueue"] = "Sub:${EnvironmentName}-order-created",
                ["OrderCreatedDeadLetterQueue"] = "Sub:${EnvironmentName}-order-created-dlq",
                ["OrderProcessedQueue"] = "Sub:${EnvironmentName}-order-processed",
                ["OrderProcessedDeadLetterQueue"] = "Sub:${EnvironmentName}-order-processed-dlq",
            },
            names);
    }

    [Theory]
    [InlineData("OrderCreatedQueue", "OrderCreatedDeadLetterQueue")]
    [InlineData("OrderProcessedQueue", "OrderProcessedDeadLetterQueue")]
    public void Main_queue_redrives_to_its_own_dead_letter_queue_after_three_receives(string queue, string deadLetterQueue)
    {
        var redrive = template.Properties(queue)["RedrivePolicy"];

        Assert.Equal($"GetAtt:{deadLetterQueue}.Arn", Describe(Child(redrive, "deadLetterTargetArn")));
        Assert.Equal("3", Scalar(Child(redrive, "maxReceiveCount")));
        Assert.Equal("AWS::SQS::Queue", template.TypeOf(deadLetterQueue));
        Assert.Null(Child(template.Properties(deadLetterQueue), "RedrivePolicy"));
    }

    [Fact]
    public void Every_queue_is_a_dead_letter_queue_or_has_one()
    {
        var deadLetterTargets = template.OfType("AWS::SQS::Queue")
            .Select(id => GetAttTarget(At(template.Properties(id), "RedrivePolicy", "deadLetterTargetArn")))
            .OfType<string>()
            .Select(target => target.Split('.')[0])
            .ToHashSet(StringComparer.Ordinal);

        foreach (var queue in template.OfType("AWS::SQS::Queue"))
        {
            var hasRedrive = Child(template.Properties(queue), "RedrivePolicy") is not null;
            Assert.True(hasRedrive ^ deadLetterTargets.Contains(queue), $"{queue} must either have a dead-letter queue or be one.");
        }
    }

    [Fact]
    public void Every_queue_uses_sqs_managed_server_side_encryption()
    {
        foreach (var queue in template.OfType("AWS::SQS::Queue"))
        {
            Assert.Equal("true", Scalar(Child(template.Properties(queue), "SqsManagedSseEnabled")));
        }
    }

    [Fact]
    public void Retention_is_set_deliberately_and_dead_letter_queues_keep_messages_longer()
    {
        foreach (var (queue, deadLetterQueue) in new[]
            {
                ("OrderCreatedQueue", "OrderCreatedDeadLetterQueue"),
                ("OrderProcessedQueue", "OrderProcessedDeadLetterQueue"),
            })
        {
            var main = template.IntegerValue(template.Properties(queue)["MessageRetentionPeriod"]);
            var dead = template.IntegerValue(template.Properties(deadLetterQueue)["MessageRetentionPeriod"]);

            Assert.Equal(4 * 24 * 3600, main);
            Assert.Equal(14 * 24 * 3600, dead);
        }
    }

    [Fact]
    public void Every_dead_letter_queue_has_an_alarm_on_visible_messages()
    {
        var alarms = template.OfType("AWS::CloudWatch::Alarm").Select(template.Properties).ToList();

        foreach (var deadLetterQueue in new[] { "OrderCreatedDeadLetterQueue", "OrderProcessedDeadLetterQueue" })
        {
            var alarm = Assert.Single(alarms, a => Items(Child(a, "Dimensions")).Any(d =>
                Scalar(Child(d, "Name")) == "QueueName" && Describe(Child(d, "Value")) == $"GetAtt:{deadLetterQueue}.QueueName"));

            Assert.Equal("AWS/SQS", Scalar(alarm["Namespace"]));
            Assert.Equal("ApproximateNumberOfMessagesVisible", Scalar(alarm["MetricName"]));
            Assert.Equal("GreaterThanThreshold", Scalar(alarm["ComparisonOperator"]));
            Assert.Equal(0, template.IntegerValue(alarm["Threshold"]));
            Assert.NotEmpty(Items(Child(alarm, "AlarmActions")));
        }
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Event source mappings
    // ----------------------------------------------------------------------------------------------------------------
    [Fact]
    public void Each_consumer_has_one_event_source_mapping_on_its_queue()
    {
        var mappings = template.OfType("AWS::Lambda::EventSourceMapping")
            .ToDictionary(
                id => template.FunctionBehind(template.Properties(id)["FunctionName"]),
                id => Describe(template.Properties(id)["EventSourceArn"]),
                StringComparer.Ordinal);

        Assert.Equal(
            new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["ProcessorFunction"] = "GetAtt:OrderCreatedQueue.Arn",
                ["NotifierFunction"] = "GetAtt:OrderProcessedQueue.Arn",
            },
            mappings);
    }

    [Fact]
    public void Every_sqs_event_source_mapping_reports_batch_item_failures()
    {
        var mappings = template.OfType("AWS::Lambda::EventSourceMapping").ToList();
        Assert.NotEmpty(mappings);

        foreach (var mapping in mappings)
        {
            var responseTypes = Items(Child(template.Properties(mapping), "FunctionResponseTypes")).Select(Scalar);
            Assert.Contains("ReportBatchItemFailures", responseTypes);
        }
    }

    [Fact]
    public void Processor_concurrency_is_capped_by_the_event_source_mapping()
    {
        var mapping = template.OfType("AWS::Lambda::EventSourceMapping")
            .Single(id => template.FunctionBehind(template.Properties(id)["FunctionName"]) == "ProcessorFunction");

        var maximumConcurrency = At(template.Properties(mapping), "ScalingConfig", "MaximumConcurrency");
        Assert.Equal("ProcessorMaxConcurrency", RefTarget(maximumConcurrency));
        Assert.InRange(template.IntegerValue(maximumConcurrency!), 2, 10);
    }

    [Fact]
    public void Queue_visibility_timeout_is_at_least_six_times_the_consuming_function_timeout_plus_the_batching_window()
    {
        foreach (var mapping in template.OfType("AWS::Lambda::EventSourceMapping"))
        {
            var properties = template.Properties(mapping);
            var function = template.FunctionBehind(properties["FunctionName"]);
            var queueArn = GetAttTarget(properties["EventSourceArn"]) ?? throw new InvalidOperationException($"{mapping}: EventSourceArn must be a !GetAtt.");
            var queue = queueArn.Split('.')[0];

            var functionTimeout = template.IntegerValue(template.Properties(function)["Timeout"]);
            var visibilityTimeout = template.IntegerValue(template.Properties(queue)["VisibilityTimeout"]);
            // The largest window the parameter allows, not its default: the inequality must hold for every deployment.
            var batchingWindow = template.LargestValue(properties["MaximumBatchingWindowInSeconds"]);

            Assert.True(
                visibilityTimeout >= 6 * functionTimeout + batchingWindow,
                $"{queue} VisibilityTimeout {visibilityTimeout}s < 6 x {function} Timeout {functionTimeout}s + batching window {batchingWindow}s");
        }
    }

    // ----------------------------------------------------------------------------------------------------------------
    // IAM
    // ----------------------------------------------------------------------------------------------------------------
    private IEnumerable<(string Role, YamlMappingNode Statement)> AllStatements() =>
        template.OfType("AWS::IAM::Role").SelectMany(role =>
            Items(Child(template.Properties(role), "Policies"))
                .SelectMany(policy => Items(At(policy, "PolicyDocument", "Statement")))
                .Select(statement => (role, (YamlMappingNode)statement)));

    [Fact]
    public void No_iam_action_uses_a_wildcard()
    {
        foreach (var (role, statement) in AllStatements())
        {
            Assert.Null(Child(statement, "NotAction"));
            foreach (var action in Items(Child(statement, "Action")).Select(Scalar))
            {
                Assert.DoesNotContain("*", action, StringComparison.Ordinal);
            }
        }

        // No other policy-bearing resources that could hide wildcards.
        Assert.Empty(template.OfType("AWS::IAM::Policy"));
        Assert.Empty(template.OfType("AWS::IAM::ManagedPolicy"));
    }

    [Fact]
    public void Only_the_documented_network_interface_statement_uses_a_wildcard_resource()
    {
        foreach (var (role, statement) in AllStatements())
        {
            Assert.Null(Child(statement, "NotResource"));
            Assert.Equal("Allow", Scalar(Child(statement, "Effect")));
            var resources = Items(Child(statement, "Resource")).Select(Describe).ToList();
            var sid = Child(statement, "Sid") is { } s ? Scalar(s) : string.Empty;

            if (resources.Any(r => r.Contains('*', StringComparison.Ordinal)))
            {
                Assert.Contains(sid, (string[])[WildcardStatementSid, TracesStatementSid]);
                Assert.Equal(["*"], resources);
                Assert.Equal(sid == TracesStatementSid ? ["xray:PutTraceSegments"] : VpcNetworkInterfaceActions,
                    Items(Child(statement, "Action")).Select(Scalar).Order(StringComparer.Ordinal));
            }
            else
            {
                Assert.NotEqual(WildcardStatementSid, sid);
                Assert.NotEqual(TracesStatementSid, sid);
            }
        }
    }

    [Fact]
    public void Roles_use_no_managed_policies()
    {
        foreach (var role in template.OfType("AWS::IAM::Role"))
        {
            Assert.Null(Child(template.Properties(role), "ManagedPolicyArns"));
            Assert.Null(Child(template.Properties(role), "PermissionsBoundary"));
        }
    }

    private static readonly (string Function, string Role)[] FunctionRoleMap =
    [
        ("ApiFunction", "ApiRole"),
        ("ProcessorFunction", "ProcessorRole"),
        ("NotifierFunction", "NotifierRole"),
        ("MigrationsFunction", "MigrationsRole"),
    ];

    public static TheoryData<string, string> FunctionRoles => [.. FunctionRoleMap];

    [Theory]
    [MemberData(nameof(FunctionRoles))]
    public void Each_function_has_its_own_role_assumable_only_by_lambda(string function, string role)
    {
        Assert.Equal($"GetAtt:{role}.Arn", Describe(template.Properties(function)["Role"]));

        var statement = Assert.Single(Items(At(template.Properties(role), "AssumeRolePolicyDocument", "Statement")));
        Assert.Equal("sts:AssumeRole", Scalar(Child(statement, "Action")));
        Assert.Equal("lambda.amazonaws.com", Scalar(At(statement, "Principal", "Service")));

        var others = FunctionRoleMap.Select(row => row.Function).Where(f => f != function);
        Assert.All(others, other => Assert.NotEqual($"GetAtt:{role}.Arn", Describe(template.Properties(other)["Role"])));
    }

    private const string Secret = "GetAtt:DB.MasterUserSecret.SecretArn";

    private static string ThroughProxyAs(string user) =>
        $"Sub:arn:${{AWS::Partition}}:rds-db:${{AWS::Region}}:${{AWS::AccountId}}:dbuser:${{ProxyResourceId}}/{user}";

    private static string ToInstanceAs(string user) =>
        $"Sub:arn:${{AWS::Partition}}:rds-db:${{AWS::Region}}:${{AWS::AccountId}}:dbuser:${{DB.DbiResourceId}}/{user}";

    private static readonly Dictionary<string, string[]> ExpectedGrants = new(StringComparer.Ordinal)
    {
        ["ApiRole"] =
            [
                "logs:CreateLogStream -> GetAtt:ApiLogGroup.Arn",
                "logs:PutLogEvents -> GetAtt:ApiLogGroup.Arn",
                "sqs:SendMessage -> GetAtt:OrderCreatedQueue.Arn",
                $"rds-db:connect -> {ThroughProxyAs("orderpipeline_api")}",
            ],
        ["ProcessorRole"] =
            [
                "logs:CreateLogStream -> GetAtt:ProcessorLogGroup.Arn",
                "logs:PutLogEvents -> GetAtt:ProcessorLogGroup.Arn",
                "sqs:ReceiveMessage -> GetAtt:OrderCreatedQueue.Arn",
                "sqs:DeleteMessage -> GetAtt:OrderCreatedQueue.Arn",
                "sqs:ChangeMessageVisibility -> GetAtt:OrderCreatedQueue.Arn",
                "sqs:GetQueueAttributes -> GetAtt:OrderCreatedQueue.Arn",
                "sqs:SendMessage -> GetAtt:OrderCreatedQueue.Arn", // re-enqueue during a database outage
                "sqs:SendMessage -> GetAtt:OrderProcessedQueue.Arn",
                $"rds-db:connect -> {ThroughProxyAs("orderpipeline_processor")}",
            ],
        ["NotifierRole"] =
            [
                "logs:CreateLogStream -> GetAtt:NotifierLogGroup.Arn",
                "logs:PutLogEvents -> GetAtt:NotifierLogGroup.Arn",
                "sqs:ReceiveMessage -> GetAtt:OrderProcessedQueue.Arn",
                "sqs:DeleteMessage -> GetAtt:OrderProcessedQueue.Arn",
                "sqs:GetQueueAttributes -> GetAtt:OrderProcessedQueue.Arn",
                $"rds-db:connect -> {ThroughProxyAs("orderpipeline_notifier")}",
            ],
        ["MigrationsRole"] =
            [
                "logs:CreateLogStream -> GetAtt:MigrationsLogGroup.Arn",
                "logs:PutLogEvents -> GetAtt:MigrationsLogGroup.Arn",
                $"secretsmanager:GetSecretValue -> {Secret}",
            ],
        ["ProxyRole"] =
            [
                $"secretsmanager:GetSecretValue -> {Secret}",
                $"rds-db:connect -> {ToInstanceAs("orderpipeline_api")}",
                $"rds-db:connect -> {ToInstanceAs("orderpipeline_processor")}",
                $"rds-db:connect -> {ToInstanceAs("orderpipeline_notifier")}",
            ],
        ["SchedulerRole"] =
            [
                "lambda:InvokeFunction -> Ref:ProcessorAlias",
            ],
    };

    public static TheoryData<string, string[]> ExpectedPermissions =>
        [.. ExpectedGrants.Select(kv => (kv.Key, kv.Value))];

    [Theory]
    [MemberData(nameof(ExpectedPermissions))]
    public void Role_grants_exactly_the_expected_actions_on_exactly_the_expected_resources(string role, string[] expected)
    {
        var isFunctionRole = FunctionRoleMap.Any(row => row.Role == role);
        var expectedGrants = expected
            .Concat(isFunctionRole ? VpcNetworkInterfaceActions.Append("xray:PutTraceSegments").Select(a => $"{a} -> *") : [])
            .Order(StringComparer.Ordinal)
            .ToList();

        var actual = AllStatements()
            .Where(s => s.Role == role)
            .SelectMany(s => Items(Child(s.Statement, "Action")).Select(Scalar)
                .SelectMany(action => Items(Child(s.Statement, "Resource")).Select(resource => $"{action} -> {Describe(resource)}")))
            .Order(StringComparer.Ordinal)
            .ToList();

        Assert.Equal(expectedGrants, actual);
        Assert.Null(Child(template.Properties(role), "ManagedPolicyArns"));
    }

    [Fact]
    public void Migrations_role_reads_the_database_secret_and_touches_no_queue()
    {
        var statements = AllStatements().Where(s => s.Role == "MigrationsRole").Select(s => s.Statement).ToList();
        Assert.NotEmpty(statements);

        var actions = statements.SelectMany(s => Items(Child(s, "Action")).Select(Scalar)).ToList();
        Assert.DoesNotContain(actions, a => a.StartsWith("sqs:", StringComparison.OrdinalIgnoreCase));

        var readSecret = Assert.Single(statements, s => Items(Child(s, "Action")).Select(Scalar).Contains("secretsmanager:GetSecretValue"));
        Assert.Equal([Secret], Items(Child(readSecret, "Resource")).Select(Describe));
        Assert.Equal("Allow", Scalar(Child(readSecret, "Effect")));
    }

    [Fact]
    public void Every_role_is_covered_by_the_expected_permissions()
    {
        var covered = ExpectedGrants.Keys.Order(StringComparer.Ordinal);
        Assert.Equal(template.OfType("AWS::IAM::Role").Order(StringComparer.Ordinal), covered);
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Database
    // ----------------------------------------------------------------------------------------------------------------
    [Fact]
    public void Database_is_private_encrypted_backed_up_and_its_password_is_managed_by_secrets_manager()
    {
        var db = Assert.Single(template.OfType("AWS::RDS::DBInstance"));
        var properties = template.Properties(db);

        Assert.Equal("mysql", Scalar(properties["Engine"]));
        Assert.StartsWith("8.4", template.ParameterDefault(RefTarget(properties["EngineVersion"])!), StringComparison.Ordinal);
        Assert.Equal("orders", Scalar(properties["DBName"]));
        Assert.Equal("false", Scalar(properties["PubliclyAccessible"]));
        Assert.Equal("true", Scalar(properties["StorageEncrypted"]));
        Assert.Equal("true", Scalar(properties["ManageMasterUserPassword"]));
        Assert.Null(Child(properties, "MasterUserPassword"));
        Assert.True(template.IntegerValue(properties["BackupRetentionPeriod"]) >= 7);
        var minimumRetention = Child(template.Parameter("DBBackupRetentionDays"), "MinValue");
        Assert.True(int.Parse(Scalar(minimumRetention), System.Globalization.CultureInfo.InvariantCulture) >= 7);
        Assert.Equal("DeletionProtection", RefTarget(properties["DeletionProtection"]));
        Assert.Equal("Snapshot", Scalar(template.Resources[db]["DeletionPolicy"]));
    }

    [Fact]
    public void No_password_literal_appears_anywhere_in_the_template()
    {
        var passwordKeys = template.Walk()
            // ClientPasswordAuthType names how the proxy checks a password (caching_sha2), it holds none.
            .Where(n => n.Key is not null && n.Key.Contains("Password", StringComparison.OrdinalIgnoreCase)
                && n.Key is not "ManageMasterUserPassword" and not "ClientPasswordAuthType")
            .Select(n => n.Key)
            .ToList();
        Assert.Empty(passwordKeys);

        var connectionStrings = template.Walk().Where(n => n.Key == "ConnectionStrings__orders").ToList();
        Assert.NotEmpty(connectionStrings);
        Assert.All(connectionStrings, n => Assert.DoesNotContain("Password", Describe(n.Node), StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void Proxy_requires_tls_and_reads_the_managed_secret_with_its_own_role()
    {
        var proxy = template.Properties(Assert.Single(template.OfType("AWS::RDS::DBProxy")));

        Assert.Equal("true", Scalar(proxy["RequireTLS"]));
        Assert.Equal("MYSQL", Scalar(proxy["EngineFamily"]));
        Assert.Equal("GetAtt:ProxyRole.Arn", Describe(proxy["RoleArn"]));
        var auth = Assert.Single(Items(proxy["Auth"]));
        Assert.Equal(Secret, Describe(Child(auth, "SecretArn")));
        Assert.Equal("SECRETS", Scalar(Child(auth, "AuthScheme")));
        Assert.Equal(
            "rds.amazonaws.com",
            Scalar(At(Items(At(template.Properties("ProxyRole"), "AssumeRolePolicyDocument", "Statement"))[0], "Principal", "Service")));

        var targetGroup = template.Properties(Assert.Single(template.OfType("AWS::RDS::DBProxyTargetGroup")));
        Assert.Equal("Ref:DBProxy", Describe(targetGroup["DBProxyName"]));
        Assert.Equal(["Ref:DB"], Items(targetGroup["DBInstanceIdentifiers"]).Select(Describe));
    }

    [Fact]
    public void Only_the_functions_reach_the_proxy_and_only_the_proxy_reaches_the_database()
    {
        static IEnumerable<string> IngressSources(YamlNode? rules) =>
            Items(rules).Select(r => $"{Scalar(Child(r, "FromPort"))}-{Scalar(Child(r, "ToPort"))} "
                + $"from {Describe(Child(r, "SourceSecurityGroupId") ?? Child(r, "CidrIp"))}");

        Assert.Equal(
            ["3306-3306 from GetAtt:ProxySecurityGroup.GroupId"],
            IngressSources(Child(template.Properties("DatabaseSecurityGroup"), "SecurityGroupIngress")));
        Assert.Equal(
            ["3306-3306 from GetAtt:FunctionSecurityGroup.GroupId"],
            IngressSources(Child(template.Properties("ProxySecurityGroup"), "SecurityGroupIngress")));

        // No stand-alone ingress rule opens either group to anything else.
        Assert.Empty(template.OfType("AWS::EC2::SecurityGroupIngress"));

        var db = template.Properties(Assert.Single(template.OfType("AWS::RDS::DBInstance")));
        Assert.Equal(["GetAtt:DatabaseSecurityGroup.GroupId"], Items(db["VPCSecurityGroups"]).Select(Describe));
        var proxy = template.Properties(Assert.Single(template.OfType("AWS::RDS::DBProxy")));
        Assert.Equal(["GetAtt:ProxySecurityGroup.GroupId"], Items(proxy["VpcSecurityGroupIds"]).Select(Describe));
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Network
    // ----------------------------------------------------------------------------------------------------------------
    [Fact]
    public void Services_are_reached_through_private_interface_endpoints_without_nat_or_internet_gateway()
    {
        var services = template.OfType("AWS::EC2::VPCEndpoint")
            .Select(template.Properties)
            .Select(p =>
            {
                Assert.Equal("Interface", Scalar(p["VpcEndpointType"]));
                Assert.Equal("true", Scalar(p["PrivateDnsEnabled"]));
                Assert.Equal(2, Items(p["SubnetIds"]).Count);
                return SubFormat(p["ServiceName"]);
            })
            .Order(StringComparer.Ordinal);

        Assert.Equal(
            ["com.amazonaws.${AWS::Region}.logs", "com.amazonaws.${AWS::Region}.secretsmanager", "com.amazonaws.${AWS::Region}.sqs",
             "com.amazonaws.${AWS::Region}.xray"],
            services);
        Assert.Empty(template.OfType("AWS::EC2::NatGateway"));
        Assert.Empty(template.OfType("AWS::EC2::InternetGateway"));
        Assert.Equal(2, template.OfType("AWS::EC2::Subnet").Count());
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Functions
    // ----------------------------------------------------------------------------------------------------------------
    public static TheoryData<string, string, string> Functions => new()
    {
        { "ApiFunction", "OrderPipeline.Api", "api" },
        { "ProcessorFunction", "OrderPipeline.Processor", "processor" },
        { "NotifierFunction", "OrderPipeline.Notifier", "notifier" },
        { "MigrationsFunction", "OrderPipeline.Migrations", "migrations" },
    };

    [Fact]
    public void Template_has_exactly_the_four_functions()
    {
        Assert.Equal(["ApiFunction", "MigrationsFunction", "NotifierFunction", "ProcessorFunction"], template.OfType("AWS::Lambda::Function"));
    }

    [Theory]
    [MemberData(nameof(Functions))]
    public void Function_runs_dotnet10_behind_the_lambda_web_adapter(string function, string assembly, string serviceName)
    {
        var properties = template.Properties(function);
        Assert.Equal("dotnet10", Scalar(properties["Runtime"]));
        Assert.Equal(assembly, Scalar(properties["Handler"]));
        Assert.Equal(["arm64"], Items(properties["Architectures"]).Select(Scalar));

        var layer = Assert.Single(Items(properties["Layers"]));
        Assert.Equal(
            "arn:${AWS::Partition}:lambda:${AWS::Region}:753240598075:layer:LambdaAdapterLayerArm64:${LambdaWebAdapterLayerVersion}",
            SubFormat(layer));

        var variables = Variables(function);
        Assert.Equal("/opt/bootstrap", variables["AWS_LAMBDA_EXEC_WRAPPER"]);
        Assert.Equal("8080", variables["AWS_LWA_PORT"]);
        Assert.Equal("8080", variables["ASPNETCORE_HTTP_PORTS"]);
        Assert.Equal("/alive", variables["AWS_LWA_READINESS_CHECK_PATH"]);
        Assert.Equal(serviceName, variables["OTEL_SERVICE_NAME"]);

        if (AdapterPassThroughFunctions.Contains(function))
        {
            // A 5xx from /events must fail the invocation: Lambda then retries an SQS batch instead of deleting it,
            // and deploy.sh sees a failed migration as a FunctionError instead of a success.
            Assert.Equal("500-599", variables["AWS_LWA_ERROR_STATUS_CODES"]);
            Assert.Equal("/events", variables["AWS_LWA_PASS_THROUGH_PATH"]);
        }
        else
        {
            Assert.False(variables.ContainsKey("AWS_LWA_PASS_THROUGH_PATH"));
            // The Api's 503 with Retry-After must reach the client as it is.
            Assert.False(variables.ContainsKey("AWS_LWA_ERROR_STATUS_CODES"));
        }

        if (QueueConsumerFunctions.Contains(function))
        {
            // Batches arrive on POST /events from the event source mapping; the app's own long-polling consumer is off.
            Assert.Equal("false", variables["Messaging__Consumer__Enabled"]);
        }
        else
        {
            Assert.False(variables.ContainsKey("Messaging__Consumer__Enabled"));
        }
    }

    [Theory]
    [MemberData(nameof(Functions))]
    public void Function_gets_the_configuration_contract(string function, string assembly, string serviceName)
    {
        _ = assembly;
        var variables = Variables(function);

        if (serviceName == "migrations")
        {
            // Only the migration step signs in with the master user's password, read from the managed secret.
            Assert.Equal(Secret, variables["Database__SecretArn"]);
            Assert.False(variables.ContainsKey("Database__IamAuthentication"));
            Assert.StartsWith(
                "Sub:Server=${DBProxy.Endpoint};Port=3306;Database=orders;User ID=${DBMasterUsername};",
                variables["ConnectionStrings__orders"],
                StringComparison.Ordinal);
        }
        else
        {
            // The services sign in as their own database user with an IAM token: no secret, no password.
            Assert.False(variables.ContainsKey("Database__SecretArn"));
            Assert.Equal("true", variables["Database__IamAuthentication"]);
            Assert.StartsWith(
                $"Sub:Server=${{DBProxy.Endpoint}};Port=3306;Database=orders;User ID=orderpipeline_{serviceName};",
                variables["ConnectionStrings__orders"],
                StringComparison.Ordinal);
        }

        var expectedQueues = serviceName switch
        {
            "api" => new[] { "Queues__OrderCreated=Ref:OrderCreatedQueue" },
            "processor" => ["Queues__OrderCreated=Ref:OrderCreatedQueue", "Queues__OrderProcessed=Ref:OrderProcessedQueue"],
            "notifier" => ["Queues__OrderProcessed=Ref:OrderProcessedQueue"],
            "migrations" => [],
            _ => throw new InvalidOperationException($"No expected queues for {serviceName}."),
        };
        Assert.Equal(
            expectedQueues,
            variables.Where(kv => kv.Key.StartsWith("Queues__", StringComparison.Ordinal)).Select(kv => $"{kv.Key}={kv.Value}").Order(StringComparer.Ordinal));

        if (expectedQueues.Length > 0)
        {
            Assert.Equal("Ref:AWS::Region", variables["AWS__Region"]);
        }
        else
        {
            // The migration step touches no queue: no SQS settings at all (AWS__Region is the SQS client's region).
            Assert.DoesNotContain(variables.Keys, key => key.StartsWith("AWS__", StringComparison.Ordinal)
                || key.StartsWith("Messaging__", StringComparison.Ordinal));
        }
    }

    [Theory]
    [MemberData(nameof(Functions))]
    public void Function_sends_its_traces_to_xrays_otlp_endpoint_through_the_private_endpoint_as_the_parameter_says(
        string function, string assembly, string serviceName)
    {
        _ = (assembly, serviceName);
        var variables = Variables(function);

        Assert.Equal("Ref:TracesExporter", variables["OTEL_TRACES_EXPORTER"]);
        Assert.Equal("Sub:https://xray.${AWS::Region}.amazonaws.com/v1/traces", variables["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"]);
        Assert.Equal("ExportTraces", Scalar(template.Resources["XRayEndpoint"]["Condition"]));
    }

    [Fact]
    public void No_function_applies_migrations_at_startup()
    {
        // The schema has one owner, the Migrations function; the services must not race it (or each other) at start.
        var functions = template.OfType("AWS::Lambda::Function").ToList();
        Assert.Equal(4, functions.Count);
        Assert.All(functions, function => Assert.DoesNotContain(
            Variables(function).Keys,
            key => key.Contains("ApplyMigrations", StringComparison.OrdinalIgnoreCase)));
        Assert.DoesNotContain(template.Walk(), n => n.Key == "Database__ApplyMigrationsOnStartup");
    }

    [Fact]
    public void Migrations_function_is_a_one_shot_step_that_waits_for_the_proxy_target()
    {
        var resource = template.Resources["MigrationsFunction"];
        var properties = template.Properties("MigrationsFunction");

        // Created only once the proxy has its target, so the first invocation by deploy.sh can reach the database.
        Assert.Equal(["DBProxyTargetGroup"], Items(Child(resource, "DependsOn")).Select(Scalar));

        // Long enough for schema changes on a cold VPC function, within Lambda's 900 s limit.
        Assert.InRange(template.IntegerValue(properties["Timeout"]), 60, 900);

        // Nothing but deploy.sh invokes it: no event source mapping, no resource-based permission.
        Assert.DoesNotContain(
            template.OfType("AWS::Lambda::EventSourceMapping"),
            id => template.FunctionBehind(template.Properties(id)["FunctionName"]) == "MigrationsFunction");
        Assert.DoesNotContain(
            template.OfType("AWS::Lambda::Permission"),
            id => Describe(template.Properties(id)["FunctionName"]).Contains("MigrationsFunction", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Functions))]
    public void Function_code_is_its_own_zip_in_the_artifacts_bucket(string function, string assembly, string serviceName)
    {
        _ = (assembly, serviceName);
        var code = template.Properties(function)["Code"];
        var keyParameter = function.Replace("Function", "CodeKey", StringComparison.Ordinal);

        Assert.Equal("Ref:CodeBucket", Describe(Child(code, "S3Bucket")));
        Assert.Equal($"Ref:{keyParameter}", Describe(Child(code, "S3Key")));
        Assert.Equal("String", Scalar(Child(template.Parameter(keyParameter), "Type")));
    }

    [Theory]
    [MemberData(nameof(Functions))]
    public void Function_logs_to_its_own_log_group_with_retention(string function, string assembly, string serviceName)
    {
        _ = assembly;
        var properties = template.Properties(function);
        var logGroup = RefTarget(At(properties, "LoggingConfig", "LogGroup"));

        Assert.NotNull(logGroup);
        Assert.Equal("AWS::Logs::LogGroup", template.TypeOf(logGroup));
        var logGroupProperties = template.Properties(logGroup);
        Assert.NotNull(Child(logGroupProperties, "RetentionInDays"));
        Assert.True(template.IntegerValue(logGroupProperties["RetentionInDays"]) > 0);
        Assert.Equal($"/aws/lambda/${{EnvironmentName}}-{serviceName}", SubFormat(logGroupProperties["LogGroupName"]));
        Assert.Equal($"${{EnvironmentName}}-{serviceName}", SubFormat(properties["FunctionName"]));
    }

    [Theory]
    [MemberData(nameof(Functions))]
    public void Function_runs_in_the_private_subnets_with_the_function_security_group(string function, string assembly, string serviceName)
    {
        _ = (assembly, serviceName);
        var vpc = template.Properties(function)["VpcConfig"];

        Assert.Equal(["Ref:PrivateSubnetA", "Ref:PrivateSubnetB"], Items(Child(vpc, "SubnetIds")).Select(Describe));
        Assert.Equal(["GetAtt:FunctionSecurityGroup.GroupId"], Items(Child(vpc, "SecurityGroupIds")).Select(Describe));
    }

    [Fact]
    public void Every_log_group_has_a_retention()
    {
        var logGroups = template.OfType("AWS::Logs::LogGroup").ToList();
        Assert.Equal(4, logGroups.Count);
        Assert.All(logGroups, lg => Assert.NotNull(Child(template.Properties(lg), "RetentionInDays")));
    }

    // ----------------------------------------------------------------------------------------------------------------
    // HTTP API
    // ----------------------------------------------------------------------------------------------------------------
    [Fact]
    public void Http_api_routes_both_order_endpoints_to_the_api_function()
    {
        var routes = template.OfType("AWS::ApiGatewayV2::Route")
            .Select(template.Properties)
            .Select(p => $"{Scalar(p["RouteKey"])} => {SubFormat(p["Target"])}")
            .Order(StringComparer.Ordinal);
        Assert.Equal(["GET /api/orders/{order_id} => integrations/${ApiIntegration}", "POST /api/orders => integrations/${ApiIntegration}"], routes);

        var integration = template.Properties("ApiIntegration");
        Assert.Equal("AWS_PROXY", Scalar(integration["IntegrationType"]));
        Assert.Equal("2.0", Scalar(integration["PayloadFormatVersion"]));
        Assert.Equal("Ref:ApiAlias", Describe(integration["IntegrationUri"]));

        var stage = template.Properties(Assert.Single(template.OfType("AWS::ApiGatewayV2::Stage")));
        Assert.Equal("$default", Scalar(stage["StageName"]));
        Assert.Equal("true", Scalar(stage["AutoDeploy"]));

        var permission = template.Properties(Assert.Single(template.OfType("AWS::Lambda::Permission")));
        Assert.Equal("apigateway.amazonaws.com", Scalar(permission["Principal"]));
        Assert.Equal("Ref:ApiAlias", Describe(permission["FunctionName"]));
        Assert.StartsWith(
            "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${HttpApi}/",
            SubFormat(permission["SourceArn"]),
            StringComparison.Ordinal);
    }

    [Fact]
    public void Outputs_name_the_api_url_queues_and_database_endpoints()
    {
        var outputs = (YamlMappingNode)Template.Root["Outputs"];
        var names = outputs.Children.Keys.Select(k => ((YamlScalarNode)k).Value).ToHashSet(StringComparer.Ordinal);

        foreach (var name in new[]
            {
                "ApiUrl", "OrderCreatedQueueUrl", "OrderProcessedQueueUrl", "DbEndpoint", "DbProxyEndpoint", "ProcessorFunctionName",
                "MigrationsFunctionName",
            })
        {
            Assert.Contains(name, names);
        }

        // deploy.sh invokes the function this output names to apply the schema.
        Assert.Equal("Ref:MigrationsFunction", Describe(At(outputs, "MigrationsFunctionName", "Value")));
    }

    private CloudFormationTemplate Template => template;

    private Dictionary<string, string> Variables(string function) =>
        ((YamlMappingNode)At(template.Properties(function), "Environment", "Variables")!).Children
            .ToDictionary(kv => ((YamlScalarNode)kv.Key).Value!, kv => Describe(kv.Value), StringComparer.Ordinal);
}
