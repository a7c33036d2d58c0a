namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// A resource that represents an AWS CloudFormation stack deployed by the scripts of a folder (<c>package.sh</c>,
/// <c>deploy.sh</c>, <c>teardown.sh</c>): the target of <c>aspire publish</c>, <c>aspire deploy</c> and
/// <c>aspire destroy</c>. It runs nothing in a local run.
/// </summary>
/// <param name="name">The name of the resource.</param>
/// <param name="scriptsDirectory">The folder that holds the template and the scripts.</param>
/// <param name="stackName">The parameter that names the stack.</param>
/// <param name="region">The parameter that names the AWS region.</param>
public sealed class CloudFormationStackResource(string name, string scriptsDirectory, ParameterResource stackName, ParameterResource region)
    : Resource(name)
{
    private readonly List<KeyValuePair<string, ParameterResource>> _templateParameters = [];

    /// <summary>Gets the folder that holds the template and the scripts.</summary>
    public string ScriptsDirectory { get; } = scriptsDirectory ?? throw new ArgumentNullException(nameof(scriptsDirectory));

    /// <summary>Gets the parameter that names the stack (and, lower-cased, prefixes its resources' names).</summary>
    public ParameterResource StackName { get; } = stackName ?? throw new ArgumentNullException(nameof(stackName));

    /// <summary>Gets the parameter that names the AWS region.</summary>
    public ParameterResource Region { get; } = region ?? throw new ArgumentNullException(nameof(region));

    /// <summary>Gets the template's parameters that Aspire parameters give, by the template's name for them.</summary>
    public IReadOnlyList<KeyValuePair<string, ParameterResource>> TemplateParameters => _templateParameters;

    internal void AddTemplateParameter(string templateParameter, ParameterResource value) =>
        _templateParameters.Add(new(templateParameter, value));
}
