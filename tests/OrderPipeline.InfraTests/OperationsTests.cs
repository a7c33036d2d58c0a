using System.Text.Json;
using OrderPipeline.AppHost.Deployment;
using OrderPipeline.InfraTests.Support;
using OrderPipeline.Testing;
using Xunit;
using YamlDotNet.RepresentationModel;
using static OrderPipeline.AppHost.Deployment.CloudFormationTemplate;

namespace OrderPipeline.InfraTests;

/// <summary>
/// Running the stack (messages and operations): the outbox relay on a schedule and its alarm, the outage
/// design's wiring, the alarms and the dashboard, what survives a deletion, versions and aliases for rollbacks, and
/// ARNs in the stack's partition.
/// </summary>
public sealed class OperationsTests
{
    private const string RelayPayload = """{"orderpipeline":"relay-outbox"}""";

    private readonly CloudFormationTemplate template = RepositoryTemplate.Load();

    // ----------------------------------------------------------------------------------------------------------------
    // The outbox relay in AWS
    // ----------------------------------------------------------------------------------------------------------------
    [Fact]
    public void A_schedule_invokes_the_processor_every_minute_with_the_relay_payload()
    {
        var schedule = template.Properties(Assert.Single(template.OfType("AWS::Scheduler::Schedule")));

        Assert.Equal("rate(1 minute)", Scalar(schedule["ScheduleExpression"]));
        Assert.Equal("ENABLED", Scalar(schedule["State"]));
        Assert.Equal("OFF", Scalar(At(schedule, "FlexibleTimeWindow", "Mode")));
        Assert.Equal("Ref:ProcessorAlias", Describe(At(schedule, "Target", "Arn")));
        Assert.Equal("ProcessorFunction", template.FunctionBehind(At(schedule, "Target", "Arn")!));
        Assert.Equal(RelayPayload, Scalar(At(schedule, "Target", "Input")));
        Assert.Equal("GetAtt:SchedulerRole.Arn", Describe(At(schedule, "Target", "RoleArn")));
        // A missed run is not retried: the next minute's run does the same work.
        Assert.Equal(0, template.IntegerValue(At(schedule, "Target", "RetryPolicy", "MaximumRetryAttempts")!));

        // The Processor receives non-HTTP events on /events (the adapter's pass-through path).
        Assert.Equal("/events", Describe(At(template.Properties("ProcessorFunction"), "Environment", "Variables", "AWS_LWA_PASS_THROUGH_PATH")));
    }

    [Fact]
    public void Only_scheduler_in_this_account_may_use_the_schedule_role_and_lambda_does_not_stack_retries()
    {
        var trust = Assert.Single(Items(At(template.Properties("SchedulerRole"), "AssumeRolePolicyDocument", "Statement")));
        Assert.Equal("scheduler.amazonaws.com", Scalar(At(trust, "Principal", "Service")));
        Assert.Equal("Ref:AWS::AccountId", Describe(At(trust, "Condition", "StringEquals", "aws:SourceAccount")));

        var invokeConfig = template.Properties(Assert.Single(template.OfType("AWS::Lambda::EventInvokeConfig")));
        Assert.Equal("Ref:ProcessorFunction", Describe(invokeConfig["FunctionName"]));
        Assert.Equal(Scalar(template.Properties("ProcessorAlias")["Name"]), Scalar(invokeConfig["Qualifier"]));
        Assert.Equal(0, template.IntegerValue(invokeConfig["MaximumRetryAttempts"]));
    }

    [Fact]
    public void Outbox_age_alarm_reads_the_metric_the_processor_is_told_to_report_and_a_silent_relay_alarms()
    {
        var alarm = template.Properties("OutboxOldestUnpublishedAgeAlarm");
        var processor = (YamlMappingNode)At(template.Properties("ProcessorFunction"), "Environment", "Variables")!;

        Assert.Equal("outbox.oldest_unpublished_age", Scalar(alarm["MetricName"]));
        Assert.Equal(Scalar(processor["Metrics__CloudWatchNamespace"]), Scalar(alarm["Namespace"]));
        var dimension = Assert.Single(Items(alarm["Dimensions"]));
        Assert.Equal("Environment", Scalar(Child(dimension, "Name")));
        Assert.Equal(Describe(processor["Metrics__Environment"]), Describe(Child(dimension, "Value")));
        Assert.Equal("breaching", Scalar(alarm["TreatMissingData"]));
        Assert.Equal(60, template.IntegerValue(alarm["Period"]));
        Assert.Equal("false", Scalar(processor["Outbox__BackgroundRelay"]));
    }

    // ----------------------------------------------------------------------------------------------------------------
    // A database outage does not burn receives
    // ----------------------------------------------------------------------------------------------------------------
    [Fact]
    public void Processor_can_requeue_a_batch_with_a_delay_sqs_allows_instead_of_failing_it()
    {
        var variables = (YamlMappingNode)At(template.Properties("ProcessorFunction"), "Environment", "Variables")!;
        Assert.InRange(template.IntegerValue(variables["Messaging__OutageRequeue__DelaySeconds"]), 1, 900); // SQS's largest DelaySeconds
        Assert.True(template.IntegerValue(variables["Messaging__OutageRequeue__MaxRequeues"]) > 0);

        var send = Items(Child(template.Properties("ProcessorRole"), "Policies"))
            .SelectMany(policy => Items(At(policy, "PolicyDocument", "Statement")))
            .Where(s => Items(Child(s, "Action")).Select(Scalar).Contains("sqs:SendMessage"))
            .SelectMany(s => Items(Child(s, "Resource")).Select(Describe));
        Assert.Contains("GetAtt:OrderCreatedQueue.Arn", send);

        // Poison messages still go to the DLQ after 3 receives.
        Assert.Equal("3", Scalar(At(template.Properties("OrderCreatedQueue"), "RedrivePolicy", "maxReceiveCount")));
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Alarms and dashboard
    // ----------------------------------------------------------------------------------------------------------------
    private static readonly string[] ExpectedAlarms =
    [
        "AWS/ApiGateway 5xx ApiId=Ref:HttpApi Stage=$default",
        "AWS/Lambda Errors FunctionName=Ref:ApiFunction",
        "AWS/Lambda Errors FunctionName=Ref:MigrationsFunction",
        "AWS/Lambda Errors FunctionName=Ref:NotifierFunction",
        "AWS/Lambda Errors FunctionName=Ref:ProcessorFunction",
        "AWS/Lambda Throttles FunctionName=Ref:ApiFunction",
        "AWS/Lambda Throttles FunctionName=Ref:NotifierFunction",
        "AWS/Lambda Throttles FunctionName=Ref:ProcessorFunction",
        "AWS/RDS CPUUtilization DBInstanceIdentifier=Ref:DB",
        "AWS/RDS DatabaseConnections DBInstanceIdentifier=Ref:DB",
        "AWS/RDS FreeStorageSpace DBInstanceIdentifier=Ref:DB",
        "AWS/SQS ApproximateAgeOfOldestMessage QueueName=GetAtt:OrderCreatedQueue.QueueName",
        "AWS/SQS ApproximateAgeOfOldestMessage QueueName=GetAtt:OrderProcessedQueue.QueueName",
        "AWS/SQS ApproximateNumberOfMessagesVisible QueueName=GetAtt:OrderCreatedDeadLetterQueue.QueueName",
        "AWS/SQS ApproximateNumberOfMessagesVisible QueueName=GetAtt:OrderProcessedDeadLetterQueue.QueueName",
        "OrderPipeline outbox.oldest_unpublished_age Environment=Ref:EnvironmentName",
    ];

    [Fact]
    public void Alarms_cover_dlqs_queue_age_function_errors_and_throttles_api_5xx_the_database_and_the_outbox()
    {
        var alarms = template.OfType("AWS::CloudWatch::Alarm").Select(template.Properties).Select(AlarmKey).Order(StringComparer.Ordinal);
        Assert.Equal(ExpectedAlarms, alarms);
    }

    [Fact]
    public void Every_alarm_notifies_the_topic_parameter_or_else_the_stacks_own_topic_on_alarm_and_recovery()
    {
        Assert.Equal("", Scalar(Child(template.Parameter("AlarmTopicArn"), "Default")));
        foreach (var alarm in template.OfType("AWS::CloudWatch::Alarm"))
        {
            foreach (var key in new[] { "AlarmActions", "OKActions" })
            {
                var action = Assert.Single(Items(template.Properties(alarm)[key]));
                Assert.Equal("!If", Tag(action));
                Assert.Equal(["CreateAlarmTopic", "Ref:AlarmTopic", "Ref:AlarmTopicArn"], ((YamlSequenceNode)action).Children.Select(Describe));
            }
        }

        Assert.Equal("CreateAlarmTopic", Scalar(template.Resources["AlarmTopic"]["Condition"]));
    }

    [Fact]
    public void Dashboard_shows_every_alarmed_metric()
    {
        var body = SubFormat(template.Properties("Dashboard")["DashboardBody"])!;
        using var json = JsonDocument.Parse(body.Replace("${", "", StringComparison.Ordinal).Replace("}\"", "\"", StringComparison.Ordinal));
        var shown = json.RootElement.GetProperty("widgets").EnumerateArray()
            .SelectMany(w => w.GetProperty("properties").GetProperty("metrics").EnumerateArray())
            .Select(m => m.EnumerateArray().Select(e => e.GetString()!).ToArray())
            .Where(m => m[0] != "...")
            .Select(m => $"{m[0]} {m[1]}")
            .ToHashSet(StringComparer.Ordinal);

        foreach (var alarm in ExpectedAlarms)
        {
            var metric = string.Join(' ', alarm.Split(' ').Take(2));
            Assert.Contains(metric, shown);
        }
    }

    // ----------------------------------------------------------------------------------------------------------------
    // What a deletion keeps, and what does not trap a failed first create
    // ----------------------------------------------------------------------------------------------------------------
    [Fact]
    public void Dead_letter_queues_and_log_groups_outlive_the_stack_except_after_a_failed_first_create()
    {
        var kept = new[] { "OrderCreatedDeadLetterQueue", "OrderProcessedDeadLetterQueue" }.Concat(template.OfType("AWS::Logs::LogGroup"));
        foreach (var resource in kept)
        {
            // RetainExceptOnCreate: kept on stack deletion, deleted when the create that made it rolls back, so that a
            // second attempt with the same names is not blocked by leftovers.
            Assert.Equal("RetainExceptOnCreate", Scalar(template.Resources[resource]["DeletionPolicy"]));
            Assert.Equal("Retain", Scalar(template.Resources[resource]["UpdateReplacePolicy"]));
        }
    }

    [Fact]
    public void Database_deletion_protection_is_a_parameter_so_a_new_stack_can_start_without_it()
    {
        Assert.Equal("DeletionProtection", RefTarget(template.Properties("DB")["DeletionProtection"]));
        Assert.Equal(["true", "false"], Items(Child(template.Parameter("DeletionProtection"), "AllowedValues")).Select(Scalar));
        Assert.Equal("Snapshot", Scalar(template.Resources["DB"]["DeletionPolicy"]));
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Versions and aliases
    // ----------------------------------------------------------------------------------------------------------------
    [Theory]
    [InlineData("Api")]
    [InlineData("Processor")]
    [InlineData("Notifier")]
    public void Each_service_is_invoked_through_a_live_alias_on_a_version_published_per_deployment(string service)
    {
        var version = template.Resources[$"{service}Version"];
        Assert.Equal("AWS::Lambda::Version", template.TypeOf($"{service}Version"));
        Assert.Equal($"Ref:{service}Function", Describe(template.Properties($"{service}Version")["FunctionName"]));
        // A new DeploymentId replaces the version resource (a new version); the old version is kept for a rollback.
        Assert.Contains("${DeploymentId}", SubFormat(template.Properties($"{service}Version")["Description"]), StringComparison.Ordinal);
        Assert.Equal("Retain", Scalar(version["UpdateReplacePolicy"]));

        var alias = template.Properties($"{service}Alias");
        Assert.Equal("live", Scalar(alias["Name"]));
        Assert.Equal($"GetAtt:{service}Version.Version", Describe(alias["FunctionVersion"]));

        // Nothing invokes the unqualified function.
        var invokers = template.Walk()
            .Where(n => n.Key is "FunctionName" or "IntegrationUri" or "Arn")
            .Select(n => Describe(n.Node))
            .Where(d => d == $"Ref:{service}Function" || d == $"GetAtt:{service}Function.Arn");
        var allowed = template.Walk().Count(n => n.Key == "FunctionName" && Describe(n.Node) == $"Ref:{service}Function");
        Assert.Equal(allowed, invokers.Count());
        Assert.All(
            template.OfType("AWS::Lambda::EventSourceMapping"),
            m => Assert.Equal("AWS::Lambda::Alias", template.TypeOf(RefTarget(template.Properties(m)["FunctionName"])!)));
        Assert.Equal("AWS::Lambda::Alias", template.TypeOf(RefTarget(template.Properties("ApiIntegration")["IntegrationUri"])!));
    }

    [Fact]
    public void Deployment_id_is_a_parameter_deploy_sets_every_time()
    {
        Assert.NotNull(template.Parameter("DeploymentId"));
        var script = File.ReadAllText(Path.Combine(RepositoryRoot.Path, "infra", "deploy.sh"));
        Assert.Contains("\"DeploymentId=$DEPLOYMENT_ID\"", script, StringComparison.Ordinal);
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Partitions
    // ----------------------------------------------------------------------------------------------------------------
    [Fact]
    public void Every_arn_the_template_builds_uses_the_stacks_partition()
    {
        var built = template.Walk()
            .Select(n => SubFormat(n.Node))
            .OfType<string>()
            .Where(format => format.Contains("arn:", StringComparison.Ordinal))
            .ToList();
        Assert.NotEmpty(built);
        Assert.All(built, format => Assert.StartsWith("arn:${AWS::Partition}:", format, StringComparison.Ordinal));
        Assert.DoesNotContain("arn:aws:", File.ReadAllText(RepositoryTemplate.Path), StringComparison.Ordinal);
    }

    private static string AlarmKey(YamlMappingNode alarm) =>
        $"{Scalar(alarm["Namespace"])} {Scalar(alarm["MetricName"])} "
        + string.Join(' ', Items(alarm["Dimensions"]).Select(d => $"{Scalar(Child(d, "Name"))}={Describe(Child(d, "Value"))}"));
}
