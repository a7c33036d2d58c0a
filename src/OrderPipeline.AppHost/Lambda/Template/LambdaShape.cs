namespace OrderPipeline.AppHost.Lambda.Template;

/// <summary>
/// What infra/template.yaml deploys to AWS, as the AppHost runs it locally: the functions, what invokes them (the SQS
/// event source mappings, the schedules, the HTTP API) and the queues they read.
/// </summary>
/// <param name="Functions">One per <c>AWS::Lambda::Function</c>, in the order of their logical ids.</param>
/// <param name="EventSources">One per <c>AWS::Lambda::EventSourceMapping</c>.</param>
/// <param name="Queues">One per <c>AWS::SQS::Queue</c>.</param>
/// <param name="Schedules">One per <c>AWS::Scheduler::Schedule</c>.</param>
/// <param name="HttpApi">The <c>AWS::ApiGatewayV2::Api</c>, or null when the template has none.</param>
/// <param name="DroppedVariables">The functions' environment variables left out of the local run, and why.</param>
internal sealed record LambdaShape(
    IReadOnlyList<LambdaFunctionDefinition> Functions,
    IReadOnlyList<LambdaEventSourceDefinition> EventSources,
    IReadOnlyList<SqsQueueDefinition> Queues,
    IReadOnlyList<LambdaScheduleDefinition> Schedules,
    HttpApiDefinition? HttpApi,
    IReadOnlyList<DroppedVariable> DroppedVariables)
{
    /// <summary>The function with the logical id, or an error that names the ones there are.</summary>
    public LambdaFunctionDefinition Function(string logicalId) =>
        Functions.FirstOrDefault(f => f.LogicalId == logicalId)
            ?? throw new InvalidOperationException(
                $"The template has no function {logicalId} (it has {string.Join(", ", Functions.Select(f => f.LogicalId))}).");
}

/// <summary>An <c>AWS::Lambda::Function</c>.</summary>
/// <param name="LogicalId">Its logical id, e.g. ApiFunction.</param>
/// <param name="Project">The project it runs: its <c>Handler</c>, e.g. OrderPipeline.Api.</param>
/// <param name="Timeout">How long one invocation may run (<c>Timeout</c>; 3 s when absent, as in Lambda).</param>
/// <param name="MemorySizeMb">Its memory (<c>MemorySize</c>; 128 MB when absent).</param>
/// <param name="ReservedConcurrency">Its <c>ReservedConcurrentExecutions</c>, or null when it has none.</param>
/// <param name="Environment">Its environment variables, resolved for the local run (see <see cref="LocalEnvironment"/>).</param>
internal sealed record LambdaFunctionDefinition(
    string LogicalId,
    string Project,
    TimeSpan Timeout,
    int MemorySizeMb,
    int? ReservedConcurrency,
    IReadOnlyDictionary<string, string> Environment)
{
    /// <summary>The function's configuration as the function resource takes it (its environment is the resource's own).</summary>
    public LambdaFunctionOptions ToOptions() => new()
    {
        Timeout = Timeout,
        MemorySizeMb = MemorySizeMb,
        ReservedConcurrency = ReservedConcurrency,
    };
}

/// <summary>An <c>AWS::Lambda::EventSourceMapping</c> from an SQS queue.</summary>
/// <param name="LogicalId">Its logical id.</param>
/// <param name="FunctionLogicalId">The function it invokes (through its alias, when it names one).</param>
/// <param name="QueueLogicalId">The queue it reads (<c>EventSourceArn</c>).</param>
/// <param name="Enabled">Whether it polls (<c>Enabled</c>; true when absent).</param>
/// <param name="BatchSize">The most messages per invocation (<c>BatchSize</c>; 10 when absent).</param>
/// <param name="MaximumBatchingWindow">How long it waits to fill a batch (<c>MaximumBatchingWindowInSeconds</c>; 0 when absent).</param>
/// <param name="ReportBatchItemFailures">Whether the function answers partial batch failures (<c>FunctionResponseTypes</c>).</param>
/// <param name="MaximumConcurrency">Its <c>ScalingConfig.MaximumConcurrency</c>, or null when it has none.</param>
internal sealed record LambdaEventSourceDefinition(
    string LogicalId,
    string FunctionLogicalId,
    string QueueLogicalId,
    bool Enabled,
    int BatchSize,
    TimeSpan MaximumBatchingWindow,
    bool ReportBatchItemFailures,
    int? MaximumConcurrency);

/// <summary>An <c>AWS::SQS::Queue</c>.</summary>
/// <param name="LogicalId">Its logical id.</param>
/// <param name="VisibilityTimeout">Its <c>VisibilityTimeout</c> (30 s when absent, as in SQS).</param>
/// <param name="DeadLetterQueueLogicalId">The queue its <c>RedrivePolicy</c> moves messages to, or null when it has none.</param>
/// <param name="MaxReceiveCount">The receives before that (<c>RedrivePolicy.maxReceiveCount</c>), or null.</param>
internal sealed record SqsQueueDefinition(string LogicalId, TimeSpan VisibilityTimeout, string? DeadLetterQueueLogicalId, int? MaxReceiveCount);

/// <summary>An <c>AWS::Scheduler::Schedule</c> that invokes a function at a fixed rate.</summary>
/// <param name="LogicalId">Its logical id.</param>
/// <param name="Name">Its <c>Name</c>, resolved (its logical id when absent).</param>
/// <param name="Enabled">Whether it runs (<c>State</c> is not DISABLED).</param>
/// <param name="Rate">The time between runs, from <c>ScheduleExpression</c>'s <c>rate(...)</c>.</param>
/// <param name="TargetFunctionLogicalId">The function it invokes (<c>Target.Arn</c>, through its alias when it names one).</param>
/// <param name="Input">The event it sends (<c>Target.Input</c>; <c>{}</c> when absent).</param>
internal sealed record LambdaScheduleDefinition(
    string LogicalId, string Name, bool Enabled, TimeSpan Rate, string TargetFunctionLogicalId, string Input);

/// <summary>An <c>AWS::ApiGatewayV2::Api</c> (HTTP) with its routes and its <c>$default</c> stage's throttling.</summary>
/// <param name="LogicalId">Its logical id.</param>
/// <param name="Routes">Its routes, in the order of their logical ids.</param>
/// <param name="JwtIssuer">The JWT authorizer's issuer, resolved (empty when its parameter has no value).</param>
/// <param name="JwtAudience">The JWT authorizer's audience, resolved (empty when its parameter has no value).</param>
internal sealed record HttpApiDefinition(string LogicalId, IReadOnlyList<HttpApiRouteDefinition> Routes, string JwtIssuer, string JwtAudience);

/// <summary>An <c>AWS::ApiGatewayV2::Route</c> to a Lambda proxy integration.</summary>
/// <param name="LogicalId">Its logical id.</param>
/// <param name="Method">The method of its <c>RouteKey</c>, e.g. POST (ANY for any).</param>
/// <param name="PathTemplate">The path of its <c>RouteKey</c>, e.g. /api/orders/{order_id}.</param>
/// <param name="Authorization">Its <c>AuthorizationType</c>: JWT or NONE.</param>
/// <param name="ThrottlingRateLimit">Requests per second the <c>$default</c> stage allows it, or null for no stage limit.</param>
/// <param name="ThrottlingBurstLimit">The burst the <c>$default</c> stage allows it, or null for no stage limit.</param>
/// <param name="IntegrationFunctionLogicalId">The function its integration invokes (through its alias when it names one).</param>
/// <param name="IntegrationTimeout">How long the integration waits for the function (<c>TimeoutInMillis</c>; 30 s when absent).</param>
internal sealed record HttpApiRouteDefinition(
    string LogicalId,
    string Method,
    string PathTemplate,
    string Authorization,
    double? ThrottlingRateLimit,
    int? ThrottlingBurstLimit,
    string IntegrationFunctionLogicalId,
    TimeSpan IntegrationTimeout);

/// <summary>An environment variable of a function that the local run leaves out.</summary>
/// <param name="FunctionLogicalId">The function.</param>
/// <param name="Name">The variable.</param>
/// <param name="Reason">Why it is left out.</param>
internal sealed record DroppedVariable(string FunctionLogicalId, string Name, string Reason);
