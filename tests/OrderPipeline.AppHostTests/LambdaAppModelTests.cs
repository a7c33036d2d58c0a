using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;

namespace OrderPipeline.AppHostTests;

/// <summary>
/// The AppHost's model in the Lambda shape (<c>AppHost:Lambda=true</c>), as Program.cs builds it from
/// infra/template.yaml (nothing is started): the functions, what invokes them, and what they are told.
/// </summary>
public sealed class LambdaAppModelTests
{
    [Fact]
    public async Task The_lambda_shape_has_the_templates_functions_event_sources_http_api_and_schedule()
    {
        await using var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.OrderPipeline_AppHost>(
            [$"--AppHost:DataDirectory={Path.Combine(Path.GetTempPath(), "op-model")}", "--AppHost:Lambda=true",
             "--AppHost:MySqlPort=13307", "--AppHost:SqsPort=14566", "--AppHost:ApiPort=15080"],
            TestContext.Current.CancellationToken);

        var functions = builder.Resources.OfType<LambdaFunctionResource>().ToDictionary(f => f.Name, StringComparer.Ordinal);
        Assert.Equal(["create-order", "migrations", "notification-sender", "order-processor"], functions.Keys.Order(StringComparer.Ordinal));
        Assert.Empty(builder.Resources.OfType<ProjectResource>());
        Assert.Equal((TimeSpan.FromSeconds(15), 10), (functions["create-order"].Options.Timeout, functions["create-order"].Options.ReservedConcurrency));
        Assert.Equal((TimeSpan.FromSeconds(30), (int?)null),
            (functions["order-processor"].Options.Timeout, functions["order-processor"].Options.ReservedConcurrency));
        Assert.Equal(TimeSpan.FromSeconds(20), functions["notification-sender"].Options.Timeout);
        Assert.True(functions["migrations"].TryGetLastAnnotation<LambdaInvocationOnStartAnnotation>(out var onStart));
        Assert.Equal("{}", onStart.EventJson);

        var sources = builder.Resources.OfType<SqsEventSourceResource>().ToDictionary(s => s.Parent.Name, StringComparer.Ordinal);
        Assert.Equal(("order-created", 10, 5, true), (sources["order-processor"].Queue.QueueName, sources["order-processor"].Options.BatchSize,
            sources["order-processor"].Options.MaximumConcurrency, sources["order-processor"].Options.ReportBatchItemFailures));
        Assert.Equal(("order-processed", 3), (sources["notification-sender"].Queue.QueueName, sources["notification-sender"].Options.MaximumConcurrency));

        var queues = builder.Resources.OfType<SqsQueueResource>().ToDictionary(q => q.Name, StringComparer.Ordinal);
        Assert.Equal((200, "order-created-dlq", 3),
            (queues["order-created"].VisibilityTimeoutSeconds, queues["order-created"].DeadLetterQueue?.Name, queues["order-created"].MaxReceiveCount));
        Assert.Equal(140, queues["order-processed"].VisibilityTimeoutSeconds);

        var schedule = Assert.Single(builder.Resources.OfType<LambdaScheduleResource>());
        Assert.Equal(("order-processor", TimeSpan.FromMinutes(1), """{"orderpipeline":"relay-outbox"}"""),
            (schedule.Parent.Name, schedule.Rate, schedule.Input));

        var gateway = Assert.Single(builder.Resources.OfType<ApiGatewayEmulatorResource>());
        Assert.Equal("api", gateway.Name);
        Assert.Equal(["GET /api/orders/{order_id} 100/200 create-order", "POST /api/orders 50/100 create-order"],
            gateway.Routes.Select(r => $"{r.RouteKey} {r.Options.ThrottlingRateLimit}/{r.Options.ThrottlingBurstLimit} {r.Function.Name}")
                .Order(StringComparer.Ordinal));
        Assert.Equal(15080, gateway.Annotations.OfType<EndpointAnnotation>().Single().Port);
    }

    [Fact]
    public async Task A_function_is_told_the_templates_settings_with_the_local_queues_and_database()
    {
        await using var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.OrderPipeline_AppHost>(
            [$"--AppHost:DataDirectory={Path.Combine(Path.GetTempPath(), "op-model")}", "--AppHost:Lambda=true",
             "--AppHost:MySqlPort=13307", "--AppHost:SqsPort=14566", "--AppHost:ApiPort=15080"],
            TestContext.Current.CancellationToken);

        var processor = await EnvironmentOfAsync(builder.Resources.OfType<LambdaFunctionResource>().Single(f => f.Name == "order-processor"));
        var api = await EnvironmentOfAsync(builder.Resources.OfType<LambdaFunctionResource>().Single(f => f.Name == "create-order"));

        // A queue's !Ref is its URL in AWS; locally the emulator's URL of the local queue.
        Assert.Equal("http://sqs.us-east-1.localhost:{sqs.bindings.http.port}/000000000000/order-processed", processor["Queues__OrderProcessed"]);
        Assert.Equal("http://sqs.us-east-1.localhost:{sqs.bindings.http.port}/000000000000/order-created", processor["Queues__OrderCreated"]);
        // The local database, with the template's timeouts and pool size (which it nests inside the function's timeout).
        Assert.Equal("{mysql.connectionString};Database=orders;Connect Timeout=5;Default Command Timeout=10;Maximum Pool Size=2",
            processor["ConnectionStrings__orders"]);
        Assert.Equal(("false", "false", "/events", "500-599"), (processor["Outbox__BackgroundRelay"], processor["Messaging__Consumer__Enabled"],
            processor["AWS_LWA_PASS_THROUGH_PATH"], processor["AWS_LWA_ERROR_STATUS_CODES"]));
        Assert.False(processor.ContainsKey("Database__IamAuthentication"));
        Assert.False(processor.ContainsKey("AWS_LAMBDA_EXEC_WRAPPER"));
        // Every trace locally (the template samples 5%); the service name is Aspire's (the resource's, set when it runs),
        // not the template's, so that the dashboard files the telemetry under the function.
        Assert.Equal(("parentbased_traceidratio", "1.0"), (processor["OTEL_TRACES_SAMPLER"], processor["OTEL_TRACES_SAMPLER_ARG"]));
        Assert.False(processor.ContainsKey("OTEL_SERVICE_NAME"));
        // No issuer configured: no authorizer in front, so the Api runs open instead of trusting claims nobody checked.
        Assert.Equal("false", api["Auth__TrustApiGatewayClaims"]);
    }

    /// <summary>The environment as the resource's callbacks make it, expressions shown as the manifest writes them.</summary>
    private static async Task<Dictionary<string, string>> EnvironmentOfAsync(IResourceWithEnvironment resource)
    {
        var context = new EnvironmentCallbackContext(new DistributedApplicationExecutionContext(DistributedApplicationOperation.Publish));
        foreach (var callback in resource.Annotations.OfType<EnvironmentCallbackAnnotation>())
        {
            await callback.Callback(context);
        }
        return context.EnvironmentVariables.ToDictionary(v => v.Key, v => v.Value switch
        {
            string text => text,
            IManifestExpressionProvider expression => expression.ValueExpression,
            var other => other.ToString() ?? "",
        }, StringComparer.Ordinal);
    }
}
