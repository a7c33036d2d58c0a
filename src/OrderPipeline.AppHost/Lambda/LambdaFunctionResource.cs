namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// A Lambda function run locally as AWS runs it: the project's built program in sandboxes (processes) behind a local
/// stand-in for the Lambda Web Adapter, one invocation at a time each, frozen between invocations, started on demand
/// up to the concurrency cap and reclaimed when idle. Invoked by its event sources, an API gateway or a schedule.
/// </summary>
/// <param name="name">The name of the resource.</param>
/// <param name="program">The built program a sandbox runs.</param>
/// <param name="workingDirectory">The folder a sandbox runs in (the project's, as under <c>dotnet run</c>).</param>
/// <param name="options">The function's configuration, as in its <c>AWS::Lambda::Function</c>.</param>
public sealed class LambdaFunctionResource(string name, string program, string workingDirectory, LambdaFunctionOptions options)
    : Resource(name), IResourceWithEnvironment, IResourceWithWaitSupport
{
    /// <summary>Gets the built program a sandbox runs.</summary>
    public string Program { get; } = !string.IsNullOrEmpty(program) ? program : throw new ArgumentException("No program.", nameof(program));

    /// <summary>Gets the folder a sandbox runs in.</summary>
    public string WorkingDirectory { get; } = workingDirectory ?? throw new ArgumentNullException(nameof(workingDirectory));

    /// <summary>Gets the function's configuration.</summary>
    public LambdaFunctionOptions Options { get; } = options ?? throw new ArgumentNullException(nameof(options));
}
