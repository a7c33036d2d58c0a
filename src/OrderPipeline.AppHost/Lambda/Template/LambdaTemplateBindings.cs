namespace OrderPipeline.AppHost.Lambda.Template;

/// <summary>
/// What the template's references mean locally: the values <see cref="LambdaTemplate"/> resolves <c>!Ref</c> and
/// <c>!Sub</c> with (see <see cref="TemplateValues"/> for the rules).
/// </summary>
internal sealed record LambdaTemplateBindings
{
    private static readonly IReadOnlyDictionary<string, string> None = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>
    /// Gets local parameter values, by parameter name: they win over the parameters' <c>Default</c>s (a parameter with
    /// neither is the empty string). Each must be a parameter the template declares.
    /// </summary>
    public IReadOnlyDictionary<string, string> Parameters { get; init; } = None;

    /// <summary>Gets what <c>AWS::Region</c> is locally.</summary>
    public required string Region { get; init; }

    /// <summary>Gets what <c>AWS::AccountId</c> is locally.</summary>
    public string AccountId { get; init; } = "000000000000";

    /// <summary>Gets what <c>AWS::Partition</c> is locally.</summary>
    public string Partition { get; init; } = "aws";

    /// <summary>
    /// Gets what <c>!Ref</c> of a resource means locally, by logical id (e.g. a queue's local URL). A reference to a
    /// resource that is not here cannot be resolved: the variable that holds it is left out. Each must be a resource the
    /// template declares.
    /// </summary>
    public IReadOnlyDictionary<string, string> ResourceRefs { get; init; } = None;

    /// <summary>
    /// Gets the local database connection string: every <c>ConnectionStrings__*</c> variable is this (the local app
    /// user), whatever the template says (RDS Proxy with IAM authentication), followed by the template's client settings
    /// (<see cref="LocalEnvironment.ClientSettings"/>).
    /// </summary>
    public required string ConnectionStrings { get; init; }
}
