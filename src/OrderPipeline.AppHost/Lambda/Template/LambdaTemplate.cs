using System.Globalization;
using System.Text.RegularExpressions;
using OrderPipeline.AppHost.Deployment;
using YamlDotNet.RepresentationModel;
using static OrderPipeline.AppHost.Deployment.CloudFormationTemplate;

namespace OrderPipeline.AppHost.Lambda.Template;

/// <summary>
/// Reads the Lambda shape from infra/template.yaml, so that the AppHost runs the functions as the template deploys them
/// and the two cannot drift: each function's configuration and environment (resolved for the local run by the bindings),
/// the SQS event source mappings, the queues, the schedules and the HTTP API. What the local run cannot do the way AWS
/// does (a cron schedule, a route to something other than a function) is an error that says so.
/// </summary>
internal static partial class LambdaTemplate
{
    private const string Function = "AWS::Lambda::Function";
    private const string Queue = "AWS::SQS::Queue";

    /// <summary>Reads the template at <paramref name="templatePath"/>, resolved with <paramref name="bindings"/>.</summary>
    public static LambdaShape Load(string templatePath, LambdaTemplateBindings bindings) =>
        Read(CloudFormationTemplate.Load(templatePath), bindings);

    /// <summary>Reads <paramref name="template"/>, resolved with <paramref name="bindings"/>.</summary>
    public static LambdaShape Read(CloudFormationTemplate template, LambdaTemplateBindings bindings)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(bindings);
        var values = new TemplateValues(template, bindings);
        var dropped = new List<DroppedVariable>();
        var functions = template.OfType(Function).Select(id => ReadFunction(template, id, values, bindings, dropped)).ToList();
        var eventSources = template.OfType("AWS::Lambda::EventSourceMapping").Select(id => ReadEventSource(template, id, values)).ToList();
        var queues = template.OfType(Queue).Select(id => ReadQueue(template, id, values)).ToList();
        var schedules = template.OfType("AWS::Scheduler::Schedule").Select(id => ReadSchedule(template, id, values)).ToList();
        return new LambdaShape(functions, eventSources, queues, schedules, ReadHttpApi(template, values), dropped);
    }

    /// <summary>
    /// The time between runs of an EventBridge Scheduler <c>rate(value unit)</c> expression: minutes, hours or days, the
    /// unit singular for 1 and plural otherwise, as the scheduler requires. <c>cron(...)</c> and <c>at(...)</c> are not
    /// run locally.
    /// </summary>
    public static TimeSpan ParseRate(string expression)
    {
        ArgumentNullException.ThrowIfNull(expression);
        if (expression.StartsWith("cron(", StringComparison.Ordinal) || expression.StartsWith("at(", StringComparison.Ordinal))
        {
            throw new NotSupportedException($"The schedule expression {expression} is not run locally: only rate(...) schedules are.");
        }

        var match = RateExpression().Match(expression);
        if (!match.Success || !int.TryParse(match.Groups["value"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            || value < 1 || (value == 1) != (match.Groups["plural"].Length == 0))
        {
            throw new FormatException(
                $"'{expression}' is not a rate expression: rate(1 minute), rate(5 minutes), rate(1 hour), rate(2 days)...");
        }

        return match.Groups["unit"].Value switch
        {
            "minute" => TimeSpan.FromMinutes(value),
            "hour" => TimeSpan.FromHours(value),
            _ => TimeSpan.FromDays(value),
        };
    }

    private static LambdaFunctionDefinition ReadFunction(
        CloudFormationTemplate template, string id, TemplateValues values, LambdaTemplateBindings bindings, List<DroppedVariable> dropped)
    {
        var properties = template.Properties(id);
        var handler = Child(properties, "Handler") ?? throw new InvalidOperationException($"{id}: no Handler (the project it runs).");
        return new LambdaFunctionDefinition(
            id,
            values.Text(handler, $"{id}.Handler"),
            TimeSpan.FromSeconds(values.Integer(Child(properties, "Timeout"), 3, $"{id}.Timeout")),
            values.Integer(Child(properties, "MemorySize"), 128, $"{id}.MemorySize"),
            values.OptionalInteger(Child(properties, "ReservedConcurrentExecutions"), $"{id}.ReservedConcurrentExecutions"),
            LocalEnvironment.Resolve(id, At(properties, "Environment", "Variables"), values, bindings, dropped));
    }

    private static LambdaEventSourceDefinition ReadEventSource(CloudFormationTemplate template, string id, TemplateValues values)
    {
        var properties = template.Properties(id);
        var responseTypes = Items(Child(properties, "FunctionResponseTypes")).Select(type => values.Text(type, $"{id}.FunctionResponseTypes"));
        return new LambdaEventSourceDefinition(
            id,
            FunctionOf(template, Child(properties, "FunctionName"), $"{id}.FunctionName"),
            QueueOf(template, Child(properties, "EventSourceArn"), $"{id}.EventSourceArn"),
            Boolean(values, Child(properties, "Enabled"), true, $"{id}.Enabled"),
            values.Integer(Child(properties, "BatchSize"), 10, $"{id}.BatchSize"),
            TimeSpan.FromSeconds(values.Integer(Child(properties, "MaximumBatchingWindowInSeconds"), 0, $"{id}.MaximumBatchingWindowInSeconds")),
            responseTypes.Contains("ReportBatchItemFailures", StringComparer.Ordinal),
            values.OptionalInteger(At(properties, "ScalingConfig", "MaximumConcurrency"), $"{id}.ScalingConfig.MaximumConcurrency"));
    }

    private static SqsQueueDefinition ReadQueue(CloudFormationTemplate template, string id, TemplateValues values)
    {
        var properties = template.Properties(id);
        var visibility = TimeSpan.FromSeconds(values.Integer(Child(properties, "VisibilityTimeout"), 30, $"{id}.VisibilityTimeout"));
        switch (Child(properties, "RedrivePolicy"))
        {
            case null:
                return new SqsQueueDefinition(id, visibility, null, null);
            case YamlMappingNode redrive:
                var where = $"{id}.RedrivePolicy";
                return new SqsQueueDefinition(
                    id,
                    visibility,
                    QueueOf(template, Child(redrive, "deadLetterTargetArn"), $"{where}.deadLetterTargetArn"),
                    values.OptionalInteger(Child(redrive, "maxReceiveCount"), $"{where}.maxReceiveCount")
                        ?? throw new InvalidOperationException($"{where}: no maxReceiveCount."));
            case var other:
                throw new InvalidOperationException($"{id}.RedrivePolicy: expected a mapping, got {Describe(other)}.");
        }
    }

    private static LambdaScheduleDefinition ReadSchedule(CloudFormationTemplate template, string id, TemplateValues values)
    {
        var properties = template.Properties(id);
        var expression = Child(properties, "ScheduleExpression") ?? throw new InvalidOperationException($"{id}: no ScheduleExpression.");
        var state = Child(properties, "State") is { } s ? values.Text(s, $"{id}.State") : "ENABLED";
        TimeSpan rate;
        try
        {
            rate = ParseRate(values.Text(expression, $"{id}.ScheduleExpression"));
        }
        catch (NotSupportedException e)
        {
            throw new NotSupportedException($"{id}.ScheduleExpression: {e.Message}", e);
        }
        catch (FormatException e)
        {
            throw new InvalidOperationException($"{id}.ScheduleExpression: {e.Message}", e);
        }

        return new LambdaScheduleDefinition(
            id,
            Child(properties, "Name") is { } name ? values.Text(name, $"{id}.Name") : id,
            !string.Equals(state, "DISABLED", StringComparison.Ordinal),
            rate,
            FunctionOf(template, At(properties, "Target", "Arn"), $"{id}.Target.Arn"),
            At(properties, "Target", "Input") is { } input ? values.Text(input, $"{id}.Target.Input") : "{}");
    }

    private static HttpApiDefinition? ReadHttpApi(CloudFormationTemplate template, TemplateValues values)
    {
        var apis = template.OfType("AWS::ApiGatewayV2::Api").ToList();
        if (apis.Count == 0)
        {
            return null;
        }

        if (apis.Count > 1)
        {
            throw new NotSupportedException($"One HTTP API is run locally; the template has {string.Join(", ", apis)}.");
        }

        var api = apis[0];
        var protocol = Child(template.Properties(api), "ProtocolType") is { } p ? values.Text(p, $"{api}.ProtocolType") : "(none)";
        if (protocol != "HTTP")
        {
            throw new NotSupportedException($"{api}: only an HTTP API (ProtocolType: HTTP) is run locally, not {protocol}.");
        }

        IEnumerable<string> OfApi(string type) => template.OfType(type).Where(id => RefTarget(Child(template.Properties(id), "ApiId")) == api);
        var stage = OfApi("AWS::ApiGatewayV2::Stage")
            .Select(template.Properties)
            .FirstOrDefault(properties => Child(properties, "StageName") is { } name && values.Text(name, $"{api} stage.StageName") == "$default");

        var routes = new List<HttpApiRouteDefinition>();
        var authorizers = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var id in OfApi("AWS::ApiGatewayV2::Route"))
        {
            var properties = template.Properties(id);
            var key = values.Text(Child(properties, "RouteKey") ?? throw new InvalidOperationException($"{id}: no RouteKey."), $"{id}.RouteKey");
            var space = key.IndexOf(' ', StringComparison.Ordinal);
            if (space <= 0)
            {
                throw new NotSupportedException($"{id}: the route key '{key}' is not run locally: only 'METHOD /path' keys are.");
            }

            var authorization = Child(properties, "AuthorizationType") is { } a ? values.Text(a, $"{id}.AuthorizationType") : "NONE";
            if (authorization == "JWT")
            {
                authorizers.Add(RefTarget(Child(properties, "AuthorizerId"))
                    ?? throw new InvalidOperationException($"{id}: a JWT route needs AuthorizerId: !Ref TheAuthorizer."));
            }
            else if (authorization != "NONE")
            {
                throw new NotSupportedException($"{id}: the authorization type {authorization} is not run locally: only JWT and NONE are.");
            }

            var settings = At(stage, "RouteSettings", key);
            var defaults = At(stage, "DefaultRouteSettings");
            var integration = IntegrationOf(template, Child(properties, "Target"), $"{id}.Target");
            var integrationProperties = template.Properties(integration);
            routes.Add(new HttpApiRouteDefinition(
                id,
                key[..space],
                key[(space + 1)..],
                authorization,
                values.OptionalNumber(Child(settings, "ThrottlingRateLimit") ?? Child(defaults, "ThrottlingRateLimit"), $"{id} throttling rate"),
                values.OptionalInteger(Child(settings, "ThrottlingBurstLimit") ?? Child(defaults, "ThrottlingBurstLimit"), $"{id} throttling burst"),
                FunctionOf(template, Child(integrationProperties, "IntegrationUri"), $"{integration}.IntegrationUri"),
                TimeSpan.FromMilliseconds(values.Integer(Child(integrationProperties, "TimeoutInMillis"), 30_000, $"{integration}.TimeoutInMillis"))));
        }

        if (authorizers.Count > 1)
        {
            throw new NotSupportedException($"{api}: one JWT authorizer is run locally; the routes use {string.Join(", ", authorizers)}.");
        }

        var (issuer, audience) = authorizers.Count == 0 ? (string.Empty, string.Empty) : Jwt(template, authorizers.Min!, values);
        return new HttpApiDefinition(api, routes, issuer, audience);
    }

    private static (string Issuer, string Audience) Jwt(CloudFormationTemplate template, string authorizer, TemplateValues values)
    {
        if (!template.Resources.ContainsKey(authorizer) || template.TypeOf(authorizer) != "AWS::ApiGatewayV2::Authorizer")
        {
            throw new InvalidOperationException($"A route's AuthorizerId names {authorizer}, which is not an AWS::ApiGatewayV2::Authorizer.");
        }

        var configuration = Child(template.Properties(authorizer), "JwtConfiguration");
        var audiences = Items(Child(configuration, "Audience"));
        if (audiences.Count > 1)
        {
            throw new NotSupportedException($"{authorizer}: one JWT audience is run locally; it has {audiences.Count}.");
        }

        return (
            Child(configuration, "Issuer") is { } issuer ? values.Text(issuer, $"{authorizer}.JwtConfiguration.Issuer") : string.Empty,
            audiences.Count == 1 ? values.Text(audiences[0], $"{authorizer}.JwtConfiguration.Audience") : string.Empty);
    }

    /// <summary>
    /// The function that a <c>FunctionName</c>, <c>Arn</c> or <c>IntegrationUri</c> invokes: <c>!Ref</c> of the function
    /// or of its alias (then the function behind the alias), or <c>!GetAtt Function.Arn</c>.
    /// </summary>
    private static string FunctionOf(CloudFormationTemplate template, YamlNode? node, string where)
    {
        if (GetAttTarget(node) is { } attribute && attribute.EndsWith(".Arn", StringComparison.Ordinal)
            && template.Resources.ContainsKey(attribute[..^4]) && template.TypeOf(attribute[..^4]) == Function)
        {
            return attribute[..^4];
        }

        var target = RefTarget(node);
        if (target is null || !template.Resources.ContainsKey(target))
        {
            throw new InvalidOperationException($"{where}: expected a !Ref to a function or its alias, or !GetAtt Function.Arn; got {Describe(node)}.");
        }

        try
        {
            return template.FunctionBehind(node!);
        }
        catch (Exception e) when (e is InvalidOperationException or KeyNotFoundException)
        {
            throw new InvalidOperationException($"{where}: {e.Message}", e);
        }
    }

    /// <summary>The queue of an <c>!GetAtt Queue.Arn</c>.</summary>
    private static string QueueOf(CloudFormationTemplate template, YamlNode? node, string where)
    {
        var attribute = GetAttTarget(node);
        var queue = attribute is not null && attribute.EndsWith(".Arn", StringComparison.Ordinal) ? attribute[..^4] : null;
        return queue is not null && template.Resources.ContainsKey(queue) && template.TypeOf(queue) == Queue
            ? queue
            : throw new NotSupportedException($"{where}: expected !GetAtt Queue.Arn of an {Queue} (only SQS queues are run locally); got {Describe(node)}.");
    }

    /// <summary>The integration of a route's <c>Target: !Sub integrations/${Integration}</c>: a Lambda proxy integration.</summary>
    private static string IntegrationOf(CloudFormationTemplate template, YamlNode? node, string where)
    {
        var match = SubFormat(node) is { } format ? IntegrationTarget().Match(format) : Match.Empty;
        var integration = match.Success ? match.Groups["id"].Value : null;
        if (integration is null || !template.Resources.ContainsKey(integration) || template.TypeOf(integration) != "AWS::ApiGatewayV2::Integration")
        {
            throw new InvalidOperationException($"{where}: expected !Sub integrations/${{AnIntegration}}; got {Describe(node)}.");
        }

        var type = Child(template.Properties(integration), "IntegrationType") is { } t && IsPlainScalar(t) ? Scalar(t) : "(none)";
        return type == "AWS_PROXY"
            ? integration
            : throw new NotSupportedException($"{integration}: only Lambda proxy integrations (AWS_PROXY) are run locally, not {type}.");
    }

    private static bool Boolean(TemplateValues values, YamlNode? node, bool absent, string where)
    {
        if (node is null)
        {
            return absent;
        }

        var text = values.Text(node, where);
        return bool.TryParse(text, out var value) ? value : throw new InvalidOperationException($"{where}: '{text}' is not true or false.");
    }

    [GeneratedRegex(@"^rate\((?<value>[0-9]+) (?<unit>minute|hour|day)(?<plural>s?)\)$", RegexOptions.CultureInvariant)]
    private static partial Regex RateExpression();

    [GeneratedRegex(@"^integrations/\$\{(?<id>[A-Za-z0-9]+)\}$", RegexOptions.CultureInvariant)]
    private static partial Regex IntegrationTarget();
}
