using OrderPipeline.AppHost.Deployment;
using OrderPipeline.AppHost.Lambda.Template;
using OrderPipeline.Testing;

namespace OrderPipeline.AppHostTests;

/// <summary>
/// The Lambda shape the AppHost runs, read from infra/template.yaml: the functions, their local environment, the event
/// source mappings, the queues, the schedule and the HTTP API; and the reading rules on small templates of their own.
/// </summary>
[Trait("Category", "Unit")]
public sealed class LambdaTemplateTests
{
    private const string OrderCreatedUrl = "http://127.0.0.1:4566/000000000000/local-order-created";
    private const string OrderProcessedUrl = "http://127.0.0.1:4566/000000000000/local-order-processed";
    private const string ConnectionString = "Server=127.0.0.1;Port=3306;Database=orders;User ID=orderpipeline_app;Password=local";

    private static readonly string TemplatePath = Path.Combine(RepositoryRoot.Path, "infra", "template.yaml");

    private static LambdaTemplateBindings Bindings { get; } = new()
    {
        Region = "eu-central-1",
        ResourceRefs = new Dictionary<string, string>
        {
            ["OrderCreatedQueue"] = OrderCreatedUrl,
            ["OrderProcessedQueue"] = OrderProcessedUrl,
        },
        ConnectionStrings = ConnectionString,
    };

    // ---------------------------------------------------------------------------------------------------------------
    // infra/template.yaml
    // ---------------------------------------------------------------------------------------------------------------
    [Fact]
    public void The_template_has_the_four_functions_with_their_projects_timeouts_and_memory()
    {
        var shape = LambdaTemplate.Load(TemplatePath, Bindings);

        Assert.Equal(
            [
                ("ApiFunction", "OrderPipeline.Api", 15, 512),
                ("MigrationsFunction", "OrderPipeline.Migrations", 120, 512),
                ("NotifierFunction", "OrderPipeline.Notifier", 20, 512),
                ("ProcessorFunction", "OrderPipeline.Processor", 30, 512),
            ],
            shape.Functions.Select(f => (f.LogicalId, f.Project, (int)f.Timeout.TotalSeconds, f.MemorySizeMb)));
    }

    [Fact]
    public void Only_the_Api_has_a_reserved_concurrency_of_10()
    {
        var shape = LambdaTemplate.Load(TemplatePath, Bindings);

        Assert.Equal(10, shape.Function("ApiFunction").ReservedConcurrency);
        Assert.All(shape.Functions.Where(f => f.LogicalId != "ApiFunction"), f => Assert.Null(f.ReservedConcurrency));
    }

    [Fact]
    public void The_Processor_gets_the_bound_queues_and_connection_string_and_its_own_settings()
    {
        var environment = LambdaTemplate.Load(TemplatePath, Bindings).Function("ProcessorFunction").Environment;

        Assert.Equal(OrderCreatedUrl, environment["Queues__OrderCreated"]);
        Assert.Equal(OrderProcessedUrl, environment["Queues__OrderProcessed"]);
        Assert.Equal(ConnectionString + ";Connect Timeout=5;Default Command Timeout=10;Maximum Pool Size=2", environment["ConnectionStrings__orders"]);
        Assert.Equal("false", environment["Outbox__BackgroundRelay"]);
        Assert.Equal("eu-central-1", environment["AWS__Region"]);
        Assert.Equal("0.05", environment["OTEL_TRACES_SAMPLER_ARG"]);
        Assert.Equal("orderpipeline", environment["Metrics__Environment"]);
        // What the local function host reads, as the Web Adapter does.
        Assert.Equal("/events", environment["AWS_LWA_PASS_THROUGH_PATH"]);
        Assert.Equal("/alive", environment["AWS_LWA_READINESS_CHECK_PATH"]);
    }

    [Fact]
    public void The_AWS_only_variables_are_left_out_of_every_function()
    {
        var shape = LambdaTemplate.Load(TemplatePath, Bindings);

        Assert.All(shape.Functions, function =>
        {
            foreach (var name in (string[])["AWS_LAMBDA_EXEC_WRAPPER", "ASPNETCORE_HTTP_PORTS", "AWS_LWA_PORT", "Database__IamAuthentication",
                "Database__SecretArn", "Migrations__CreateIamDatabaseUsers"])
            {
                Assert.False(function.Environment.ContainsKey(name), $"{function.LogicalId} has {name}");
            }
        });
    }

    [Fact]
    public void Every_connection_string_is_the_bound_one_with_the_templates_timeouts_and_pool_size()
    {
        var shape = LambdaTemplate.Load(TemplatePath, Bindings);

        // Where to connect, as whom and over what TLS are the local database's; how long to wait and how many connections
        // to hold are the template's, which nests them inside each function's timeout (connect 5 s + a command < timeout).
        Assert.Equal(
            [
                ("ApiFunction", ConnectionString + ";Connect Timeout=5;Default Command Timeout=4;Maximum Pool Size=2"),
                ("MigrationsFunction", ConnectionString + ";Connect Timeout=5;Default Command Timeout=60;Maximum Pool Size=2"),
                ("NotifierFunction", ConnectionString + ";Connect Timeout=5;Default Command Timeout=5;Maximum Pool Size=2"),
                ("ProcessorFunction", ConnectionString + ";Connect Timeout=5;Default Command Timeout=10;Maximum Pool Size=2"),
            ],
            shape.Functions.Select(f => (f.LogicalId, f.Environment["ConnectionStrings__orders"])));
    }

    [Fact]
    public void A_connection_string_keeps_only_the_client_settings_of_the_templates_whatever_its_form()
    {
        var shape = Read("""
            Resources:
              Proxy:
                Type: AWS::RDS::DBProxy
              Subbed:
                Type: AWS::Lambda::Function
                Properties:
                  Handler: A
                  Environment:
                    Variables:
                      ConnectionStrings__orders: !Sub Server=${Proxy.Endpoint};SslMode=VerifyFull;Connect Timeout=3;Pooling=true;Max Pool Size=4
              Literal:
                Type: AWS::Lambda::Function
                Properties:
                  Handler: B
                  Environment:
                    Variables:
                      ConnectionStrings__orders: Server=db;User ID=u;Default Command Timeout=7
              Bare:
                Type: AWS::Lambda::Function
                Properties:
                  Handler: C
                  Environment:
                    Variables:
                      ConnectionStrings__orders: !GetAtt Proxy.Endpoint
            """);

        Assert.Equal("Server=local;Connect Timeout=3;Max Pool Size=4", shape.Function("Subbed").Environment["ConnectionStrings__orders"]);
        Assert.Equal("Server=local;Default Command Timeout=7", shape.Function("Literal").Environment["ConnectionStrings__orders"]);
        Assert.Equal("Server=local", shape.Function("Bare").Environment["ConnectionStrings__orders"]);
    }

    [Fact]
    public void With_every_queue_bound_only_the_AWS_only_variables_are_dropped_each_with_its_reason()
    {
        var dropped = LambdaTemplate.Load(TemplatePath, Bindings).DroppedVariables;

        Assert.Contains(dropped, d => d is { FunctionLogicalId: "ProcessorFunction", Name: "Database__IamAuthentication" });
        Assert.Contains(dropped, d => d is { FunctionLogicalId: "MigrationsFunction", Name: "Migrations__CreateIamDatabaseUsers" });
        Assert.Contains(dropped, d => d is { FunctionLogicalId: "MigrationsFunction", Name: "Database__SecretArn" });
        Assert.Equal(4, dropped.Count(d => d.Name == "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"));
        // The wrapper, the two ports and the trace export's two in each, IAM authentication in three, the migration's two.
        Assert.Equal(4 * 5 + 3 + 2, dropped.Count);
        Assert.All(dropped, d => Assert.Equal(LocalEnvironment.AwsOnly[d.Name], d.Reason));
    }

    [Fact]
    public void A_reference_to_a_resource_without_a_local_value_drops_the_variable_and_says_so()
    {
        var bindings = Bindings with { ResourceRefs = new Dictionary<string, string> { ["OrderCreatedQueue"] = OrderCreatedUrl } };

        var shape = LambdaTemplate.Load(TemplatePath, bindings);

        Assert.False(shape.Function("ProcessorFunction").Environment.ContainsKey("Queues__OrderProcessed"));
        Assert.False(shape.Function("NotifierFunction").Environment.ContainsKey("Queues__OrderProcessed"));
        Assert.Equal(OrderCreatedUrl, shape.Function("ProcessorFunction").Environment["Queues__OrderCreated"]);
        var dropped = Assert.Single(shape.DroppedVariables, d => d is { FunctionLogicalId: "ProcessorFunction", Name: "Queues__OrderProcessed" });
        Assert.Equal("OrderProcessedQueue (AWS::SQS::Queue) has no local value", dropped.Reason);
        Assert.Single(shape.DroppedVariables, d => d is { FunctionLogicalId: "NotifierFunction", Name: "Queues__OrderProcessed" });
    }

    [Fact]
    public void A_local_parameter_value_wins_over_the_default()
    {
        var bindings = Bindings with
        {
            Parameters = new Dictionary<string, string>
            {
                ["EnvironmentName"] = "local",
                ["TraceSampleRatio"] = "1",
                ["ProcessorMaxConcurrency"] = "2",
                ["ApiMaxConcurrency"] = "4",
            },
        };

        var shape = LambdaTemplate.Load(TemplatePath, bindings);

        Assert.Equal("local", shape.Function("ProcessorFunction").Environment["Metrics__Environment"]);
        Assert.Equal("1", shape.Function("ApiFunction").Environment["OTEL_TRACES_SAMPLER_ARG"]);
        Assert.Equal(4, shape.Function("ApiFunction").ReservedConcurrency);
        Assert.Equal(2, shape.EventSources.Single(e => e.FunctionLogicalId == "ProcessorFunction").MaximumConcurrency);
        Assert.Equal("local-outbox-relay", Assert.Single(shape.Schedules).Name);
    }

    [Fact]
    public void Bindings_for_a_parameter_the_template_does_not_declare_are_an_error()
    {
        var bindings = Bindings with { Parameters = new Dictionary<string, string> { ["EnvironmentNmae"] = "local" } };

        var error = Assert.Throws<ArgumentException>(() => LambdaTemplate.Load(TemplatePath, bindings));

        Assert.Contains("EnvironmentNmae", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_queues_read_through_their_alias_in_batches_of_10_with_partial_batch_failures()
    {
        var shape = LambdaTemplate.Load(TemplatePath, Bindings);

        Assert.Equal(
            [
                new LambdaEventSourceDefinition(
                    "NotifierEventSourceMapping", "NotifierFunction", "OrderProcessedQueue", true, 10, TimeSpan.Zero, true, 3),
                new LambdaEventSourceDefinition(
                    "ProcessorEventSourceMapping", "ProcessorFunction", "OrderCreatedQueue", true, 10, TimeSpan.Zero, true, 5),
            ],
            shape.EventSources);
    }

    [Fact]
    public void The_queues_have_their_visibility_timeouts_and_dead_letter_queues()
    {
        var shape = LambdaTemplate.Load(TemplatePath, Bindings);

        Assert.Equal(
            [
                new SqsQueueDefinition("OrderCreatedDeadLetterQueue", TimeSpan.FromSeconds(30), null, null),
                new SqsQueueDefinition("OrderCreatedQueue", TimeSpan.FromSeconds(200), "OrderCreatedDeadLetterQueue", 3),
                new SqsQueueDefinition("OrderProcessedDeadLetterQueue", TimeSpan.FromSeconds(30), null, null),
                new SqsQueueDefinition("OrderProcessedQueue", TimeSpan.FromSeconds(140), "OrderProcessedDeadLetterQueue", 3),
            ],
            shape.Queues);
    }

    [Fact]
    public void The_outbox_relay_schedule_invokes_the_Processor_every_minute()
    {
        var schedule = Assert.Single(LambdaTemplate.Load(TemplatePath, Bindings).Schedules);

        Assert.Equal(
            new LambdaScheduleDefinition(
                "OutboxRelaySchedule",
                "orderpipeline-outbox-relay",
                true,
                TimeSpan.FromMinutes(1),
                "ProcessorFunction",
                """{"orderpipeline":"relay-outbox"}"""),
            schedule);
    }

    [Fact]
    public void The_HTTP_API_has_two_JWT_routes_to_the_Api_throttled_per_route()
    {
        var api = LambdaTemplate.Load(TemplatePath, Bindings).HttpApi;

        Assert.NotNull(api);
        Assert.Equal("HttpApi", api.LogicalId);
        Assert.Equal(
            [
                new HttpApiRouteDefinition("CreateOrderRoute", "POST", "/api/orders", "JWT", 50, 100, "ApiFunction", TimeSpan.FromSeconds(30)),
                new HttpApiRouteDefinition(
                    "GetOrderRoute", "GET", "/api/orders/{order_id}", "JWT", 100, 200, "ApiFunction", TimeSpan.FromSeconds(30)),
            ],
            api.Routes);
    }

    [Fact]
    public void The_JWT_issuer_and_audience_are_the_parameters_values_and_empty_without_one()
    {
        var unset = LambdaTemplate.Load(TemplatePath, Bindings).HttpApi!;
        var set = LambdaTemplate.Load(TemplatePath, Bindings with
        {
            Parameters = new Dictionary<string, string> { ["JwtIssuer"] = "http://127.0.0.1:5999/", ["JwtAudience"] = "orderpipeline" },
        }).HttpApi!;

        Assert.Equal((string.Empty, string.Empty), (unset.JwtIssuer, unset.JwtAudience));
        Assert.Equal(("http://127.0.0.1:5999/", "orderpipeline"), (set.JwtIssuer, set.JwtAudience));
        Assert.Equal("http://127.0.0.1:5999/", LambdaTemplate.Load(TemplatePath, Bindings with
        {
            Parameters = new Dictionary<string, string> { ["JwtIssuer"] = "http://127.0.0.1:5999/" },
        }).Function("ApiFunction").Environment["Auth__Issuer"]);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // The reading rules, on small templates
    // ---------------------------------------------------------------------------------------------------------------
    [Theory]
    [InlineData("rate(1 minute)", 1)]
    [InlineData("rate(5 minutes)", 5)]
    [InlineData("rate(1 hour)", 60)]
    [InlineData("rate(2 hours)", 120)]
    [InlineData("rate(1 day)", 1440)]
    [InlineData("rate(3 days)", 4320)]
    public void A_rate_expression_is_its_interval(string expression, int minutes) =>
        Assert.Equal(TimeSpan.FromMinutes(minutes), LambdaTemplate.ParseRate(expression));

    [Theory]
    [InlineData("rate(1 minutes)")]
    [InlineData("rate(5 minute)")]
    [InlineData("rate(0 minutes)")]
    [InlineData("rate(30 seconds)")]
    [InlineData("rate(5minutes)")]
    [InlineData("every minute")]
    public void A_malformed_rate_expression_is_an_error(string expression) =>
        Assert.Throws<FormatException>(() => LambdaTemplate.ParseRate(expression));

    [Fact]
    public void A_cron_schedule_is_an_error_that_names_the_schedule()
    {
        var error = Assert.Throws<NotSupportedException>(() => Read(Function + """
              Nightly:
                Type: AWS::Scheduler::Schedule
                Properties:
                  ScheduleExpression: cron(0 3 * * ? *)
                  FlexibleTimeWindow: { Mode: 'OFF' }
                  Target: { Arn: !GetAtt Fn.Arn }
            """));

        Assert.Contains("Nightly.ScheduleExpression", error.Message, StringComparison.Ordinal);
        Assert.Contains("cron(0 3 * * ? *)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_function_without_Timeout_and_MemorySize_has_Lambdas_defaults()
    {
        var function = Assert.Single(Read(Function).Functions);

        Assert.Equal(("Fn", "OrderPipeline.Worker", TimeSpan.FromSeconds(3), 128, (int?)null), (
            function.LogicalId, function.Project, function.Timeout, function.MemorySizeMb, function.ReservedConcurrency));
    }

    [Fact]
    public void The_long_forms_of_Ref_GetAtt_and_Sub_read_as_the_short_ones()
    {
        var shape = Read("""
            Parameters:
              Prefix: { Type: String, Default: op }
              Seconds: { Type: Number, Default: 9 }
            Resources:
              Fn:
                Type: AWS::Lambda::Function
                Properties:
                  Handler: OrderPipeline.Worker
                  Timeout: { Ref: Seconds }
                  Environment:
                    Variables:
                      QUEUE: { Ref: Work }
                      NAME: { "Fn::Sub": "${Prefix}-worker" }
                      VARIABLES: { "Fn::Sub": ["${Prefix}/${Extra}", { Extra: { Ref: "AWS::Region" } }] }
              Dead:
                Type: AWS::SQS::Queue
              Work:
                Type: AWS::SQS::Queue
                Properties:
                  RedrivePolicy:
                    deadLetterTargetArn: { "Fn::GetAtt": [Dead, Arn] }
                    maxReceiveCount: 5
              Mapping:
                Type: AWS::Lambda::EventSourceMapping
                Properties:
                  FunctionName: { Ref: Fn }
                  EventSourceArn: { "Fn::GetAtt": [Work, Arn] }
            """, Local with
        {
            ResourceRefs = new Dictionary<string, string> { ["Work"] = "http://queue/work" },
        });

        Assert.Equal(
            new Dictionary<string, string> { ["QUEUE"] = "http://queue/work", ["NAME"] = "op-worker", ["VARIABLES"] = "op/eu-west-1" },
            shape.Function("Fn").Environment);
        Assert.Equal(TimeSpan.FromSeconds(9), shape.Function("Fn").Timeout);
        Assert.Equal(new SqsQueueDefinition("Work", TimeSpan.FromSeconds(30), "Dead", 5), shape.Queues.Single(q => q.LogicalId == "Work"));
        Assert.Equal(new LambdaEventSourceDefinition("Mapping", "Fn", "Work", true, 10, TimeSpan.Zero, false, null), Assert.Single(shape.EventSources));
    }

    [Fact]
    public void A_Sub_that_names_something_without_a_local_value_drops_the_variable_and_says_what()
    {
        var shape = Read(Function + """
                  Environment:
                    Variables:
                      ENDPOINT: !Sub https://${Db.Endpoint.Address}:3306
                      STACK: !Sub ${AWS::StackName}-x
                      ARN: !Sub arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:${Prefix}
                      LITERAL: !Sub ${!NotSubstituted}/${Prefix}
                      ATTRIBUTE: !GetAtt Db.Arn
                      TYPO: !Ref Prefx
              Db:
                Type: AWS::RDS::DBInstance
            """);

        Assert.Equal(
            new Dictionary<string, string> { ["ARN"] = "arn:aws:sqs:eu-west-1:000000000000:op", ["LITERAL"] = "${NotSubstituted}/op" },
            shape.Function("Fn").Environment);
        Assert.Equal(
            [
                ("ENDPOINT", "!Sub names ${Db.Endpoint.Address}: an attribute of a deployed resource, with no local value"),
                ("STACK", "!Sub names ${AWS::StackName}: the pseudo parameter AWS::StackName has no local value"),
                ("ATTRIBUTE", "!GetAtt Db.Arn is an attribute of a deployed resource, with no local value"),
                ("TYPO", "the template declares no parameter or resource Prefx"),
            ],
            shape.DroppedVariables.Select(d => (d.Name, d.Reason)));
    }

    [Fact]
    public void A_schedule_and_an_event_source_may_name_the_function_by_its_Arn()
    {
        var shape = Read(Function + """
              Work:
                Type: AWS::SQS::Queue
              Mapping:
                Type: AWS::Lambda::EventSourceMapping
                Properties:
                  FunctionName: !GetAtt Fn.Arn
                  EventSourceArn: !GetAtt Work.Arn
                  Enabled: false
                  BatchSize: 3
                  MaximumBatchingWindowInSeconds: 4
              Every5:
                Type: AWS::Scheduler::Schedule
                Properties:
                  ScheduleExpression: rate(5 minutes)
                  State: DISABLED
                  Target: { Arn: !GetAtt Fn.Arn }
            """);

        Assert.Equal(
            new LambdaEventSourceDefinition("Mapping", "Fn", "Work", false, 3, TimeSpan.FromSeconds(4), false, null), Assert.Single(shape.EventSources));
        Assert.Equal(new LambdaScheduleDefinition("Every5", "Every5", false, TimeSpan.FromMinutes(5), "Fn", "{}"), Assert.Single(shape.Schedules));
        Assert.Null(shape.HttpApi);
    }

    [Fact]
    public void A_route_without_settings_of_its_own_has_the_default_stages_default_throttling()
    {
        var api = Read(Function + """
              Api:
                Type: AWS::ApiGatewayV2::Api
                Properties: { ProtocolType: HTTP }
              Integration:
                Type: AWS::ApiGatewayV2::Integration
                Properties: { ApiId: !Ref Api, IntegrationType: AWS_PROXY, IntegrationUri: !GetAtt Fn.Arn, TimeoutInMillis: 5000 }
              Health:
                Type: AWS::ApiGatewayV2::Route
                Properties: { ApiId: !Ref Api, RouteKey: "GET /health", Target: !Sub "integrations/${Integration}" }
              Items:
                Type: AWS::ApiGatewayV2::Route
                Properties: { ApiId: !Ref Api, RouteKey: "ANY /items/{proxy+}", Target: !Sub "integrations/${Integration}" }
              Stage:
                Type: AWS::ApiGatewayV2::Stage
                Properties:
                  ApiId: !Ref Api
                  StageName: $default
                  DefaultRouteSettings: { ThrottlingRateLimit: 2.5, ThrottlingBurstLimit: 5 }
                  RouteSettings:
                    ANY /items/{proxy+}: { ThrottlingBurstLimit: 7 }
            """).HttpApi;

        Assert.NotNull(api);
        Assert.Equal(
            [
                new HttpApiRouteDefinition("Health", "GET", "/health", "NONE", 2.5, 5, "Fn", TimeSpan.FromSeconds(5)),
                new HttpApiRouteDefinition("Items", "ANY", "/items/{proxy+}", "NONE", 2.5, 7, "Fn", TimeSpan.FromSeconds(5)),
            ],
            api.Routes);
        Assert.Equal((string.Empty, string.Empty), (api.JwtIssuer, api.JwtAudience));
    }

    [Fact]
    public void An_event_source_that_is_not_an_SQS_queue_is_an_error()
    {
        var error = Assert.Throws<NotSupportedException>(() => Read(Function + """
              Stream:
                Type: AWS::Kinesis::Stream
              Mapping:
                Type: AWS::Lambda::EventSourceMapping
                Properties:
                  FunctionName: !Ref Fn
                  EventSourceArn: !GetAtt Stream.Arn
            """));

        Assert.StartsWith("Mapping.EventSourceArn:", error.Message, StringComparison.Ordinal);
    }

    private const string Function = """
        Parameters:
          Prefix: { Type: String, Default: op }
        Resources:
          Fn:
            Type: AWS::Lambda::Function
            Properties:
              Handler: OrderPipeline.Worker

        """;

    private static LambdaTemplateBindings Local { get; } = new() { Region = "eu-west-1", ConnectionStrings = "Server=local" };

    private static LambdaShape Read(string yaml, LambdaTemplateBindings? bindings = null) =>
        LambdaTemplate.Read(CloudFormationTemplate.Parse(yaml), bindings ?? Local);
}
