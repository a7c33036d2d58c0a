using OrderPipeline.AppHost.Deployment;
using YamlDotNet.RepresentationModel;

namespace OrderPipeline.AppHost.Lambda.Template;

/// <summary>
/// A function's environment variables for the local run: each resolved as <see cref="TemplateValues"/> says, the
/// connection strings replaced by the local one (keeping the template's client settings: its timeouts and pool size),
/// and the variables that only mean something in AWS left out. A variable whose value cannot be resolved locally is left
/// out too, and each one left out is reported with why.
/// </summary>
internal static class LocalEnvironment
{
    /// <summary>The prefix of the connection string variables, which all become the bindings' local connection string.</summary>
    public const string ConnectionStringPrefix = "ConnectionStrings__";

    /// <summary>
    /// The settings of a template's connection string that the local one keeps: how long the client waits (the template
    /// nests them inside the function's timeout) and how many connections it holds. Where it connects, as whom and over
    /// what TLS are the local database's.
    /// </summary>
    public static IReadOnlyList<string> ClientSettings { get; } =
        ["Connect Timeout", "Connection Timeout", "Default Command Timeout", "Command Timeout", "Maximum Pool Size", "Max Pool Size",
         "Minimum Pool Size", "Min Pool Size"];

    /// <summary>The variables that only mean something in AWS, each with why the local run leaves it out.</summary>
    public static IReadOnlyDictionary<string, string> AwsOnly { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["AWS_LAMBDA_EXEC_WRAPPER"] = "starts the Lambda Web Adapter layer, which the local function host stands in for",
        ["ASPNETCORE_HTTP_PORTS"] = "the local function host gives each sandbox a port of its own",
        ["AWS_LWA_PORT"] = "the local function host gives each sandbox a port of its own",
        ["Database__IamAuthentication"] = "IAM tokens are for RDS Proxy; locally the app user signs in with a password",
        ["Database__SecretArn"] = "the master user's Secrets Manager secret; locally the connection string signs in",
        ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] = "X-Ray's OTLP endpoint; locally every signal goes to the dashboard (OTEL_EXPORTER_OTLP_ENDPOINT)",
        ["OTEL_TRACES_EXPORTER"] = "whether traces go to X-Ray; locally they always go to the dashboard",
        ["Migrations__CreateIamDatabaseUsers"] = "creates the IAM-authenticated users RDS Proxy signs in as (a MySQL-only script)",
    };

    /// <summary>
    /// The local environment of <paramref name="functionLogicalId"/> from its <c>Environment.Variables</c>; what is left
    /// out is added to <paramref name="dropped"/>.
    /// </summary>
    public static IReadOnlyDictionary<string, string> Resolve(
        string functionLogicalId, YamlNode? variables, TemplateValues values, LambdaTemplateBindings bindings, ICollection<DroppedVariable> dropped)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        if (variables is null)
        {
            return environment;
        }

        if (variables is not YamlMappingNode map)
        {
            throw new InvalidOperationException(
                $"{functionLogicalId}: Environment.Variables must be a mapping, got {CloudFormationTemplate.Describe(variables)}.");
        }

        foreach (var (key, node) in map.Children)
        {
            var name = CloudFormationTemplate.Scalar(key);
            if (AwsOnly.TryGetValue(name, out var why))
            {
                dropped.Add(new DroppedVariable(functionLogicalId, name, why));
            }
            else if (name.StartsWith(ConnectionStringPrefix, StringComparison.Ordinal))
            {
                environment[name] = bindings.ConnectionStrings + ClientSettingsOf(node);
            }
            else if (values.TryResolve(node, out var value, out var unresolvable))
            {
                environment[name] = value;
            }
            else
            {
                dropped.Add(new DroppedVariable(functionLogicalId, name, unresolvable));
            }
        }

        return environment;
    }

    /// <summary>
    /// The template connection string's <see cref="ClientSettings"/>, as <c>";Key=Value"</c> each in its order; empty
    /// when it has none (or is not a literal or a <c>!Sub</c>).
    /// </summary>
    private static string ClientSettingsOf(YamlNode node)
    {
        var text = CloudFormationTemplate.IsPlainScalar(node) ? CloudFormationTemplate.Scalar(node) : CloudFormationTemplate.SubFormat(node);
        return string.Concat((text ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(part => ClientSettings.Contains(part.Split('=', 2)[0].Trim(), StringComparer.OrdinalIgnoreCase))
            .Select(part => ";" + part));
    }
}
