using OrderPipeline.AppHost.Lambda.Template;

namespace Aspire.Hosting;

/// <summary>
/// Provides the extension method that runs the services in their AWS shape, as infra/template.yaml declares them.
/// </summary>
internal static class LambdaShapeBuilderExtensions
{
    private const string ConnectionStringToken = "{{local:connection-string}}";

    /// <summary>
    /// Adds a Lambda function for each <c>AWS::Lambda::Function</c> of the template, its SQS event sources, the HTTP
    /// API as an API gateway named "api", and the schedules. The migration function is invoked once on start, and the
    /// others start after it. Environment variables are the template's, resolved locally: queue references are the local
    /// queues' URLs, connection strings the local database's, parameters the template's defaults unless
    /// <paramref name="settings"/> gives them.
    /// </summary>
    public static void AddLambdaShape(this IDistributedApplicationBuilder builder, LambdaShapeSettings settings)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(settings);

        var queueTokens = settings.Queues.ToDictionary(q => q.Key, q => $"{{{{local:queue:{q.Key}}}}}", StringComparer.Ordinal);
        var shape = LambdaTemplate.Load(settings.TemplatePath, new LambdaTemplateBindings
        {
            Region = SqsEmulatorResource.Region,
            Parameters = settings.Parameters,
            ResourceRefs = queueTokens,
            ConnectionStrings = ConnectionStringToken,
        });
        var open = string.IsNullOrEmpty(shape.HttpApi?.JwtIssuer);

        foreach (var definition in shape.Queues)
        {
            var queue = settings.Queues[definition.LogicalId].WithVisibilityTimeout(settings.VisibilityTimeout ?? definition.VisibilityTimeout);
            if (definition.DeadLetterQueueLogicalId is { } deadLetterQueue)
            {
                queue.WithDeadLetterQueue(settings.Queues[deadLetterQueue], definition.MaxReceiveCount ?? 3);
            }
        }

        var functions = new Dictionary<string, IResourceBuilder<LambdaFunctionResource>>(StringComparer.Ordinal);
        foreach (var definition in shape.Functions)
        {
            if (!settings.Projects.TryGetValue(definition.Project, out var project))
            {
                throw new InvalidOperationException($"The template's {definition.LogicalId} runs {definition.Project}, which the AppHost does not know.");
            }
            var function = builder.AddLambdaFunction(project.Name, project.Metadata, definition.ToOptions())
                .WithMetricExportInterval().WithoutOtlpExportRetries();
            foreach (var queue in settings.Queues.Values)
            {
                // AWS__ServiceURL, the region and the key pair of the emulator; the queue settings follow from the template.
                function.WithReference(queue);
            }
            function.WithReference(settings.Database).WaitFor(settings.Database);
            foreach (var (name, value) in definition.Environment)
            {
                if (name == "OTEL_SERVICE_NAME")
                {
                    // Aspire's own (the resource's name) is what the dashboard files telemetry under.
                    continue;
                }
                if (value.StartsWith(ConnectionStringToken, StringComparison.Ordinal))
                {
                    // The local database, with the template's client settings after it (its timeouts, its pool size).
                    var clientSettings = value[ConnectionStringToken.Length..];
                    function.WithEnvironment(name, ReferenceExpression.Create($"{settings.Database.Resource.ConnectionStringExpression}{clientSettings}"));
                }
                else if (queueTokens.FirstOrDefault(t => t.Value == value).Key is { } queue)
                {
                    function.WithEnvironment(name, settings.Queues[queue].Resource.QueueUrl);
                }
                else
                {
                    function.WithEnvironment(name, value);
                }
            }
            if (open && definition.Environment.ContainsKey("Auth__TrustApiGatewayClaims"))
            {
                // No issuer, so the gateway has no authorizer and passes no claims: the Api runs open, and says so.
                function.WithEnvironment("Auth__TrustApiGatewayClaims", "false");
            }
            functions[definition.LogicalId] = function;
        }

        var migrations = functions[settings.MigrationsFunction].WithInvocationOnStart("{}");
        foreach (var function in functions.Values.Where(f => f != migrations))
        {
            function.WaitForCompletion(migrations);
            foreach (var queue in settings.Queues.Values)
            {
                function.WaitFor(queue);
            }
        }

        foreach (var source in shape.EventSources.Where(s => s.Enabled))
        {
            functions[source.FunctionLogicalId].WithSqsEventSource(settings.Queues[source.QueueLogicalId], new SqsEventSourceOptions
            {
                BatchSize = source.BatchSize,
                MaximumBatchingWindow = source.MaximumBatchingWindow,
                ReportBatchItemFailures = source.ReportBatchItemFailures,
                MaximumConcurrency = source.MaximumConcurrency,
            });
        }

        foreach (var schedule in shape.Schedules.Where(s => s.Enabled))
        {
            builder.AddLambdaSchedule(schedule.Name, functions[schedule.TargetFunctionLogicalId],
                settings.ScheduleRate ?? schedule.Rate, schedule.Input);
        }

        if (shape.HttpApi is { } api)
        {
            var gateway = builder.AddApiGatewayEmulator("api", settings.ApiPort, new ApiGatewayEmulatorOptions
            {
                IntegrationTimeout = api.Routes.Select(r => r.IntegrationTimeout).DefaultIfEmpty(TimeSpan.FromSeconds(30)).Max(),
                JwtIssuer = open ? null : api.JwtIssuer,
                JwtAudience = string.IsNullOrEmpty(api.JwtAudience) ? null : api.JwtAudience,
            });
            foreach (var route in api.Routes)
            {
                gateway.WithRoute(functions[route.IntegrationFunctionLogicalId], new HttpMethod(route.Method), route.PathTemplate, new ApiGatewayRouteOptions
                {
                    ThrottlingRateLimit = route.ThrottlingRateLimit,
                    ThrottlingBurstLimit = route.ThrottlingBurstLimit,
                    RequiresJwt = route.Authorization == "JWT",
                });
            }
        }
    }
}

/// <summary>What the AWS shape is made of locally.</summary>
internal sealed record LambdaShapeSettings
{
    /// <summary>Gets the CloudFormation template.</summary>
    public required string TemplatePath { get; init; }

    /// <summary>Gets the project each function's <c>Handler</c> names, with the resource name it runs under.</summary>
    public required IReadOnlyDictionary<string, (string Name, IProjectMetadata Metadata)> Projects { get; init; }

    /// <summary>Gets the local queue for each of the template's queues, by logical id.</summary>
    public required IReadOnlyDictionary<string, IResourceBuilder<SqsQueueResource>> Queues { get; init; }

    /// <summary>Gets the local database the functions use.</summary>
    public required IResourceBuilder<MySqlDatabaseResource> Database { get; init; }

    /// <summary>Gets the logical id of the function that applies the schema, invoked once on start.</summary>
    public required string MigrationsFunction { get; init; }

    /// <summary>Gets local values of the template's parameters (the rest take their defaults).</summary>
    public IReadOnlyDictionary<string, string> Parameters { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Gets the API gateway's port, or null for a free one.</summary>
    public int? ApiPort { get; init; }

    /// <summary>Gets a rate for every schedule instead of the template's (a test's minute is long).</summary>
    public TimeSpan? ScheduleRate { get; init; }

    /// <summary>
    /// Gets a visibility timeout for every queue instead of the template's, which are sized to the functions' timeouts
    /// (a test that kills a sandbox should not wait minutes for its batch to come back).
    /// </summary>
    public TimeSpan? VisibilityTimeout { get; init; }
}
