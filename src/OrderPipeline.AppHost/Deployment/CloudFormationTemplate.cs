using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace OrderPipeline.AppHost.Deployment;

/// <summary>
/// Reads infra/template.yaml (CloudFormation YAML with short-form intrinsics) into YamlDotNet's representation model
/// and offers the few look-ups the infrastructure tests need. Short-form tags (<c>!Ref X</c>, <c>!GetAtt A.B</c>,
/// <c>!Sub ...</c>) arrive as nodes carrying the tag; the long forms (<c>{ Ref: X }</c>, <c>{ "Fn::GetAtt": [A, B] }</c>)
/// are understood too. The infrastructure tests check the template with it, and the AppHost reads the functions' shape
/// from it (Lambda/Template), so that both read the template the same way.
/// </summary>
internal sealed class CloudFormationTemplate
{
    private CloudFormationTemplate(YamlMappingNode root)
    {
        Root = root;
        Resources = root.Children.TryGetValue(new YamlScalarNode("Resources"), out var resources) && resources is YamlMappingNode map
            ? map.Children.ToDictionary(kv => ((YamlScalarNode)kv.Key).Value!, kv => (YamlMappingNode)kv.Value, StringComparer.Ordinal)
            : throw new InvalidOperationException("The template has no Resources mapping.");
    }

    /// <summary>Gets the document's root mapping.</summary>
    public YamlMappingNode Root { get; }

    /// <summary>Gets the resources by logical id.</summary>
    public IReadOnlyDictionary<string, YamlMappingNode> Resources { get; }

    /// <summary>Reads the template file at <paramref name="path"/>.</summary>
    public static CloudFormationTemplate Load(string path) => Parse(File.ReadAllText(path));

    /// <summary>Reads a template from its YAML text.</summary>
    public static CloudFormationTemplate Parse(string yaml)
    {
        var stream = new YamlStream();
        using var reader = new StringReader(yaml);
        stream.Load(reader);
        return new CloudFormationTemplate((YamlMappingNode)stream.Documents.Single().RootNode);
    }

    /// <summary>The <c>Type</c> of a resource.</summary>
    public string TypeOf(string logicalId) => Scalar(Resources[logicalId]["Type"]);

    /// <summary>The logical ids of the resources of a type, in ordinal order.</summary>
    public IEnumerable<string> OfType(string type) =>
        Resources.Where(kv => Scalar(kv.Value["Type"]) == type).Select(kv => kv.Key).OrderBy(id => id, StringComparer.Ordinal);

    /// <summary>A resource's <c>Properties</c> (empty when it has none).</summary>
    public YamlMappingNode Properties(string logicalId) =>
        Resources[logicalId].Children.TryGetValue(new YamlScalarNode("Properties"), out var p) ? (YamlMappingNode)p : new YamlMappingNode();

    /// <summary>A parameter's declaration, or null when the template declares no such parameter.</summary>
    public YamlNode? Parameter(string name) =>
        Root.Children.TryGetValue(new YamlScalarNode("Parameters"), out var p)
            && p is YamlMappingNode parameters
            && parameters.Children.TryGetValue(new YamlScalarNode(name), out var parameter)
            ? parameter
            : null;

    /// <summary>The parameter's Default, for properties that are a <c>!Ref</c> to a parameter.</summary>
    public string ParameterDefault(string name)
    {
        var parameter = Parameter(name) as YamlMappingNode ?? throw new InvalidOperationException($"No parameter {name}.");
        return Scalar(parameter["Default"]);
    }

    /// <summary>The integer value of a property: a literal, or the default of the parameter it references.</summary>
    public int IntegerValue(YamlNode node)
    {
        var reference = RefTarget(node);
        var text = reference is not null && Parameter(reference) is not null ? ParameterDefault(reference) : Scalar(node);
        return int.Parse(text, NumberStyles.Integer, CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// The largest value a numeric property can take: a literal, or the MaxValue of the parameter it references (its
    /// Default when it has none). For inequalities that must hold for every allowed deployment, not just the defaults.
    /// </summary>
    public int LargestValue(YamlNode node) => Bound(node, "MaxValue");

    /// <summary>The smallest value a numeric property can take (the parameter's MinValue, else its Default).</summary>
    public int SmallestValue(YamlNode node) => Bound(node, "MinValue");

    private int Bound(YamlNode node, string bound)
    {
        var reference = RefTarget(node);
        if (reference is null || Parameter(reference) is not YamlMappingNode parameter)
        {
            return IntegerValue(node);
        }

        var text = Child(parameter, bound) is { } limit ? Scalar(limit) : ParameterDefault(reference);
        return int.Parse(text, NumberStyles.Integer, CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// The function a FunctionName / Arn property invokes: <c>!Ref SomeFunction</c>, or <c>!Ref SomeAlias</c> of an
    /// AWS::Lambda::Alias (then the function behind the alias).
    /// </summary>
    public string FunctionBehind(YamlNode node)
    {
        var target = RefTarget(node) ?? throw new InvalidOperationException($"Expected a !Ref to a function or an alias, got {Describe(node)}.");
        return TypeOf(target) switch
        {
            "AWS::Lambda::Function" => target,
            "AWS::Lambda::Alias" => RefTarget(Properties(target)["FunctionName"])
                ?? throw new InvalidOperationException($"{target}: FunctionName must be a !Ref."),
            var type => throw new InvalidOperationException($"{target} is a {type}, not a function or an alias."),
        };
    }

    /// <summary>Settings of a MySQL connection string ("Key=Value;..."), keys compared without case.</summary>
    public static Dictionary<string, string> ConnectionStringSettings(string connectionString) =>
        connectionString.Split(';', StringSplitOptions.RemoveEmptyEntries)
            .Select(part => part.Split('=', 2))
            .ToDictionary(kv => kv[0].Trim(), kv => kv.Length > 1 ? kv[1].Trim() : string.Empty, StringComparer.OrdinalIgnoreCase);

    // ------------------------------------------------------------------------------------------------------------
    // Node helpers
    // ------------------------------------------------------------------------------------------------------------
    /// <summary>The value under <paramref name="key"/> of a mapping, otherwise null.</summary>
    public static YamlNode? Child(YamlNode? node, string key) =>
        node is YamlMappingNode map && map.Children.TryGetValue(new YamlScalarNode(key), out var value) ? value : null;

    /// <summary>The value at a path of keys through nested mappings, otherwise null.</summary>
    public static YamlNode? At(YamlNode? node, params string[] keys)
    {
        foreach (var key in keys)
        {
            node = Child(node, key);
        }

        return node;
    }

    /// <summary>A node's tag (e.g. <c>!Ref</c>), or the empty string.</summary>
    public static string Tag(YamlNode node) => node.Tag.IsEmpty ? string.Empty : node.Tag.Value;

    /// <summary>A plain (untagged) scalar's text.</summary>
    public static string Scalar(YamlNode? node) =>
        node is YamlScalarNode scalar && node.Tag.IsEmpty
            ? scalar.Value ?? string.Empty
            : throw new InvalidOperationException($"Expected a plain scalar, got {Describe(node)}.");

    /// <summary>Whether a node is a plain (untagged) scalar.</summary>
    public static bool IsPlainScalar(YamlNode? node) => node is YamlScalarNode && node.Tag.IsEmpty;

    /// <summary>The list items of a sequence, or the node itself when a single value stands where a list may be.</summary>
    public static IReadOnlyList<YamlNode> Items(YamlNode? node) => node switch
    {
        null => [],
        YamlSequenceNode seq when seq.Tag.IsEmpty => seq.Children.ToList(),
        _ => [node],
    };

    /// <summary>Target of <c>!Ref X</c> / <c>{ Ref: X }</c>, otherwise null.</summary>
    public static string? RefTarget(YamlNode? node)
    {
        if (node is YamlScalarNode scalar && Tag(node) == "!Ref")
        {
            return scalar.Value;
        }

        return node is YamlMappingNode map && map.Children.Count == 1 && Child(map, "Ref") is YamlScalarNode target
            ? target.Value
            : null;
    }

    /// <summary>"Resource.Attribute" of <c>!GetAtt</c> in any of its forms, otherwise null.</summary>
    public static string? GetAttTarget(YamlNode? node)
    {
        YamlNode? argument = null;
        if (node is not null && Tag(node) == "!GetAtt")
        {
            argument = node;
        }
        else if (node is YamlMappingNode map && map.Children.Count == 1)
        {
            argument = Child(map, "Fn::GetAtt");
        }

        return argument switch
        {
            YamlScalarNode s => s.Value,
            YamlSequenceNode seq => string.Join('.', seq.Children.Select(c => ((YamlScalarNode)c).Value)),
            _ => null,
        };
    }

    /// <summary>The format string of <c>!Sub "..."</c> / <c>{ "Fn::Sub": "..." }</c>, otherwise null.</summary>
    public static string? SubFormat(YamlNode? node)
    {
        YamlNode? argument = null;
        if (node is not null && Tag(node) == "!Sub")
        {
            argument = node;
        }
        else if (node is YamlMappingNode map && map.Children.Count == 1)
        {
            argument = Child(map, "Fn::Sub");
        }

        return argument switch
        {
            YamlScalarNode s => s.Value,
            YamlSequenceNode seq when seq.Children.Count > 0 => ((YamlScalarNode)seq.Children[0]).Value,
            _ => null,
        };
    }

    /// <summary>A stable text for a value: literal text, "Ref:X", "GetAtt:A.B", "Sub:...", or the YAML of anything else.</summary>
    public static string Describe(YamlNode? node)
    {
        if (node is null)
        {
            return "(missing)";
        }

        if (RefTarget(node) is { } r)
        {
            return $"Ref:{r}";
        }

        if (GetAttTarget(node) is { } g)
        {
            return $"GetAtt:{g}";
        }

        if (SubFormat(node) is { } s)
        {
            return $"Sub:{s}";
        }

        return node is YamlScalarNode scalar && node.Tag.IsEmpty ? scalar.Value ?? string.Empty : $"{Tag(node)} {node}";
    }

    /// <summary>Every node of the document, depth first, with the key it stands under (null for list items).</summary>
    public IEnumerable<(string? Key, YamlNode Node)> Walk() => Walk(null, Root);

    private static IEnumerable<(string? Key, YamlNode Node)> Walk(string? key, YamlNode node)
    {
        yield return (key, node);
        switch (node)
        {
            case YamlMappingNode map:
                foreach (var (k, v) in map.Children)
                {
                    foreach (var item in Walk((k as YamlScalarNode)?.Value, v))
                    {
                        yield return item;
                    }
                }

                break;
            case YamlSequenceNode seq:
                foreach (var child in seq.Children)
                {
                    foreach (var item in Walk(null, child))
                    {
                        yield return item;
                    }
                }

                break;
        }
    }
}
