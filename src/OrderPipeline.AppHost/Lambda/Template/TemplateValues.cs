using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;
using OrderPipeline.AppHost.Deployment;
using YamlDotNet.RepresentationModel;
using static OrderPipeline.AppHost.Deployment.CloudFormationTemplate;

namespace OrderPipeline.AppHost.Lambda.Template;

/// <summary>
/// Resolves the template's values for the local run. A literal is itself. <c>!Ref</c> of a parameter is its local value
/// (the bindings'), else its <c>Default</c>, else the empty string; <c>!Ref AWS::Region</c>, <c>AWS::AccountId</c> and
/// <c>AWS::Partition</c> are the bindings'; <c>!Ref</c> of a resource is what the bindings' ResourceRefs say it is.
/// <c>!Sub</c> substitutes the same names (and the variables of its long form). Anything else cannot be resolved
/// locally, and says why: a resource with no local value, <c>!GetAtt</c> (or <c>${A.B}</c> in a <c>!Sub</c>), another
/// pseudo parameter, a name the template does not declare, or another intrinsic function.
/// </summary>
internal sealed class TemplateValues
{
    private readonly CloudFormationTemplate _template;
    private readonly LambdaTemplateBindings _bindings;

    /// <summary>Resolves the values of <paramref name="template"/> with <paramref name="bindings"/>.</summary>
    public TemplateValues(CloudFormationTemplate template, LambdaTemplateBindings bindings)
    {
        _template = template;
        _bindings = bindings;
        // A binding for a name the template does not have would be ignored: a renamed parameter or resource would then
        // quietly fall back to the template's value.
        var unknownParameter = bindings.Parameters.Keys.FirstOrDefault(name => template.Parameter(name) is null);
        if (unknownParameter is not null)
        {
            throw new ArgumentException($"The bindings set the parameter {unknownParameter}, which the template does not declare.", nameof(bindings));
        }

        var unknownResource = bindings.ResourceRefs.Keys.FirstOrDefault(id => !template.Resources.ContainsKey(id));
        if (unknownResource is not null)
        {
            throw new ArgumentException($"The bindings give a value to the resource {unknownResource}, which the template does not declare.", nameof(bindings));
        }
    }

    /// <summary>The local value of <paramref name="node"/>, or why it has none.</summary>
    public bool TryResolve(YamlNode node, [NotNullWhen(true)] out string? value, [NotNullWhen(false)] out string? unresolvable)
    {
        (value, unresolvable) = Resolve(node);
        return value is not null;
    }

    /// <summary>The local value of <paramref name="node"/>; an error naming <paramref name="where"/> when it has none.</summary>
    public string Text(YamlNode node, string where) =>
        TryResolve(node, out var value, out var unresolvable) ? value : throw new InvalidOperationException($"{where}: {unresolvable}.");

    /// <summary>The whole number at <paramref name="node"/>, <paramref name="absent"/> when there is none.</summary>
    public int Integer(YamlNode? node, int absent, string where) => OptionalInteger(node, where) ?? absent;

    /// <summary>The whole number at <paramref name="node"/>, or null when there is none.</summary>
    public int? OptionalInteger(YamlNode? node, string where)
    {
        if (node is null)
        {
            return null;
        }

        var text = Text(node, where);
        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number)
            ? number
            : throw new InvalidOperationException($"{where}: '{text}' is not a whole number.");
    }

    /// <summary>The number at <paramref name="node"/> (a rate may have decimals), or null when there is none.</summary>
    public double? OptionalNumber(YamlNode? node, string where)
    {
        if (node is null)
        {
            return null;
        }

        var text = Text(node, where);
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number)
            ? number
            : throw new InvalidOperationException($"{where}: '{text}' is not a number.");
    }

    private (string? Value, string? Unresolvable) Resolve(YamlNode node)
    {
        if (IsPlainScalar(node))
        {
            return (((YamlScalarNode)node).Value ?? string.Empty, null);
        }

        if (RefTarget(node) is { } name)
        {
            return Name(name, variables: null);
        }

        if (GetAttTarget(node) is { } attribute)
        {
            return (null, $"!GetAtt {attribute} is an attribute of a deployed resource, with no local value");
        }

        if (SubFormat(node) is { } format)
        {
            return Sub(format, SubVariables(node));
        }

        return (null, $"{Describe(node)} is not resolved locally");
    }

    private (string? Value, string? Unresolvable) Sub(string format, YamlNode? variables)
    {
        var text = new StringBuilder();
        var at = 0;
        while (format.IndexOf("${", at, StringComparison.Ordinal) is var start and >= 0
            && format.IndexOf('}', start + 2) is var end and >= 0)
        {
            text.Append(format, at, start - at);
            var name = format[(start + 2)..end];
            if (name.StartsWith('!'))
            {
                // ${!Literal} is the text ${Literal}.
                text.Append("${").Append(name.AsSpan(1)).Append('}');
            }
            else
            {
                var (value, unresolvable) = name.Contains('.', StringComparison.Ordinal) && Child(variables, name) is null
                    ? (null, "an attribute of a deployed resource, with no local value")
                    : Name(name, variables);
                if (value is null)
                {
                    return (null, $"!Sub names ${{{name}}}: {unresolvable}");
                }

                text.Append(value);
            }

            at = end + 1;
        }

        return (text.Append(format, at, format.Length - at).ToString(), null);
    }

    private (string? Value, string? Unresolvable) Name(string name, YamlNode? variables)
    {
        if (Child(variables, name) is { } variable)
        {
            return Resolve(variable);
        }

        switch (name)
        {
            case "AWS::Region":
                return (_bindings.Region, null);
            case "AWS::AccountId":
                return (_bindings.AccountId, null);
            case "AWS::Partition":
                return (_bindings.Partition, null);
            case var pseudo when pseudo.StartsWith("AWS::", StringComparison.Ordinal):
                return (null, $"the pseudo parameter {pseudo} has no local value");
        }

        if (_template.Parameter(name) is { } parameter)
        {
            return (_bindings.Parameters.TryGetValue(name, out var local) ? local
                : Child(parameter, "Default") is { } fallback ? Scalar(fallback)
                : string.Empty, null);
        }

        if (_template.Resources.ContainsKey(name))
        {
            return _bindings.ResourceRefs.TryGetValue(name, out var local)
                ? (local, null)
                : (null, $"{name} ({_template.TypeOf(name)}) has no local value");
        }

        return (null, $"the template declares no parameter or resource {name}");
    }

    /// <summary>The variables mapping of the long form <c>!Sub [format, {variables}]</c>, otherwise null.</summary>
    private static YamlNode? SubVariables(YamlNode node)
    {
        var argument = Tag(node) == "!Sub" ? node : Child(node, "Fn::Sub");
        return argument is YamlSequenceNode { Children.Count: 2 } sequence && sequence.Children[1] is YamlMappingNode variables ? variables : null;
    }
}
