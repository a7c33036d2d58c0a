using Aspire.Hosting.Pipelines;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OrderPipeline.AppHost.Deployment;

namespace Aspire.Hosting;

/// <summary>
/// Provides extension methods for deploying the application to AWS as a CloudFormation stack, through the Aspire CLI's
/// pipelines: <c>aspire publish</c> writes the package (the template, the function zips, <c>parameters.json</c>),
/// <c>aspire deploy</c> deploys it step by step, <c>aspire destroy</c> deletes the stack.
/// </summary>
/// <remarks>
/// Each step runs a step of the folder's scripts (<c>package.sh</c>, <c>deploy.sh --step</c>, <c>teardown.sh</c>),
/// which also run on their own without the Aspire CLI: the scripts hold the logic, the pipeline orders the steps, asks
/// for the parameters and reports progress. <c>aspire deploy --dry-run</c> makes only read-only AWS calls and prints
/// every command that would change something.
/// </remarks>
public static class CloudFormationStackBuilderExtensions
{
    /// <summary>The steps of <c>deploy.sh</c>, in order, each a pipeline step of its own.</summary>
    private static readonly string[] DeploySteps = ["check", "bucket", "upload", "stack", "proxy", "migrate", "protect", "outputs"];

    /// <summary>
    /// Adds a CloudFormation stack, deployed by the scripts in <paramref name="scriptsDirectory"/>, as the target of the
    /// publish, deploy and destroy pipelines. In a local run it adds nothing to the model.
    /// </summary>
    /// <param name="builder">The <see cref="IDistributedApplicationBuilder"/>.</param>
    /// <param name="name">The name of the resource, and the prefix of its pipeline steps' names.</param>
    /// <param name="stackName">The parameter that names the stack.</param>
    /// <param name="region">The parameter that names the AWS region.</param>
    /// <param name="scriptsDirectory">The folder with <c>template.yaml</c>, <c>package.sh</c>, <c>deploy.sh</c> and
    /// <c>teardown.sh</c>.</param>
    /// <returns>A reference to the <see cref="IResourceBuilder{T}"/>.</returns>
    public static IResourceBuilder<CloudFormationStackResource> AddCloudFormationStack(this IDistributedApplicationBuilder builder,
        [ResourceName] string name, IResourceBuilder<ParameterResource> stackName, IResourceBuilder<ParameterResource> region, string scriptsDirectory)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(stackName);
        ArgumentNullException.ThrowIfNull(region);
        ArgumentException.ThrowIfNullOrEmpty(scriptsDirectory);

        var stack = new CloudFormationStackResource(name, Path.GetFullPath(scriptsDirectory), stackName.Resource, region.Resource);
        if (builder.ExecutionContext.IsRunMode)
        {
            // Nothing to run on a laptop: the stack exists only for the pipelines.
            return builder.CreateResourceBuilder(stack);
        }
        builder.Eventing.Subscribe<BeforeStartEvent>((@event, _) => RequireParametersWithoutCliAsync(stack, @event.Services));
        return builder.AddResource(stack)
            .WithPipelineStepFactory(_ => CreateSteps(stack))
            .ExcludeFromManifest();
    }

    /// <summary>
    /// Gives one of the template's parameters the value of an Aspire parameter: the Aspire CLI asks for it when it has
    /// none, remembers it, and the package's <c>parameters.json</c> records it.
    /// </summary>
    /// <param name="builder">The builder for the <see cref="CloudFormationStackResource"/>.</param>
    /// <param name="templateParameter">The parameter's name in the template, e.g. <c>JwtIssuer</c>.</param>
    /// <param name="value">The Aspire parameter that gives its value. Not a secret: the package records it in clear.</param>
    /// <returns>A reference to the <see cref="IResourceBuilder{T}"/>.</returns>
    public static IResourceBuilder<CloudFormationStackResource> WithTemplateParameter(this IResourceBuilder<CloudFormationStackResource> builder,
        string templateParameter, IResourceBuilder<ParameterResource> value)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(templateParameter);
        ArgumentNullException.ThrowIfNull(value);
        if (value.Resource.Secret)
        {
            throw new ArgumentException($"{value.Resource.Name} is a secret, and parameters.json records its value in clear.", nameof(value));
        }

        builder.Resource.AddTemplateParameter(templateParameter, value.Resource);
        return builder;
    }

    private static IEnumerable<PipelineStep> CreateSteps(CloudFormationStackResource stack)
    {
        var package = Step(stack, "package", "Builds the four function packages and writes them, the template and parameters.json to the output folder.",
            context => PackageAsync(stack, context), WellKnownPipelineSteps.Publish);
        yield return package;

        var previous = package;
        foreach (var name in DeploySteps)
        {
            var step = Step(stack, name, $"deploy.sh --step {name}", context => DeployStepAsync(stack, name, context), WellKnownPipelineSteps.Deploy);
            step.DependsOn(previous);
            previous = step;
            yield return step;
        }

        yield return Step(stack, "destroy", "teardown.sh: deletes the stack and the artifacts bucket deploy.sh made.",
            context => DestroyAsync(stack, context), WellKnownPipelineSteps.Destroy);
    }

    /// <summary>A step named after the stack, run once the parameters have values, and required by <paramref name="requiredBy"/>.</summary>
    private static PipelineStep Step(CloudFormationStackResource stack, string name, string description, Func<PipelineStepContext, Task> action,
        string requiredBy)
    {
        var step = new PipelineStep { Name = $"{stack.Name}-{name}", Description = description, Action = FailingTheProcess(action) };
        step.DependsOn(WellKnownPipelineSteps.ProcessParameters);
        step.RequiredBy(requiredBy);
        return step;
    }

    /// <summary>
    /// A step whose failure also fails the AppHost's process: the Aspire CLI learns of it through its backchannel, but a
    /// script or test that runs the AppHost itself has only the exit code, which the host would otherwise leave at 0.
    /// </summary>
    private static Func<PipelineStepContext, Task> FailingTheProcess(Func<PipelineStepContext, Task> action) => async context =>
    {
        try
        {
            await action(context).ConfigureAwait(false);
        }
        catch
        {
            Environment.ExitCode = 1;
            throw;
        }
    };

    /// <summary>Whether the Aspire CLI is there to answer a prompt: it starts the AppHost with the path of its backchannel.</summary>
    private static bool CliCanAsk(IServiceProvider services) =>
        services.GetRequiredService<IInteractionService>().IsAvailable
        && !string.IsNullOrEmpty(services.GetRequiredService<IConfiguration>()["ASPIRE_BACKCHANNEL_PATH"]);

    private static async Task PackageAsync(CloudFormationStackResource stack, PipelineStepContext context)
    {
        var output = PackageDirectory(stack, context);
        string[] arguments = [.. DryRun(context) ? ["--dry-run"] : Array.Empty<string>(), output, .. await TemplateParametersAsync(stack, context)];
        await DeploymentScript.RunAsync(context, Path.Combine(stack.ScriptsDirectory, "package.sh"), arguments).ConfigureAwait(false);
        context.Summary.Add("Package", output);
    }

    private static async Task DeployStepAsync(CloudFormationStackResource stack, string step, PipelineStepContext context)
    {
        var outputs = context.Services.GetRequiredService<IPipelineOutputService>();
        var state = Path.Combine(outputs.GetTempDirectory(stack), "deploy-state");
        Directory.CreateDirectory(Path.GetDirectoryName(state)!);
        string[] arguments =
        [
            .. DryRun(context) ? ["--dry-run"] : Array.Empty<string>(),
            "--package", PackageDirectory(stack, context), "--step", step, "--state", state,
            .. await StackAndRegionAsync(stack, context), .. await TemplateParametersAsync(stack, context),
        ];
        var lines = await DeploymentScript.RunAsync(context, Path.Combine(stack.ScriptsDirectory, "deploy.sh"), arguments).ConfigureAwait(false);
        foreach (var (prefix, key) in new[] { ("API: ", "API"), ("CloudWatch dashboard: ", "CloudWatch dashboard") })
        {
            if (lines.FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal)) is { } line)
            {
                context.Summary.Add(key, line[prefix.Length..]);
            }
        }
    }

    private static async Task DestroyAsync(CloudFormationStackResource stack, PipelineStepContext context)
    {
        var names = await StackAndRegionAsync(stack, context);
        if (!context.Services.GetRequiredService<IOptions<PipelineOptions>>().Value.SkipConfirmation)
        {
            if (!CliCanAsk(context.Services))
            {
                throw new InvalidOperationException("Deleting the stack deletes the order database: confirm with --yes.");
            }
            var answer = await context.Services.GetRequiredService<IInteractionService>().PromptConfirmationAsync("Delete the stack",
                $"Delete stack {names[0]} in {names[1]}, with its database of orders (a final snapshot is kept)?",
                cancellationToken: context.CancellationToken).ConfigureAwait(false);
            if (answer.Canceled || !answer.Data)
            {
                throw new OperationCanceledException("Not confirmed: nothing was deleted.");
            }
        }
        await DeploymentScript.RunAsync(context, Path.Combine(stack.ScriptsDirectory, "teardown.sh"), [.. names, "--yes"]).ConfigureAwait(false);
    }

    /// <summary>
    /// Without the Aspire CLI to ask, fails at once on a parameter that has no value, instead of waiting for an answer
    /// that cannot come (a run of the AppHost by a script or a test).
    /// </summary>
    private static Task RequireParametersWithoutCliAsync(CloudFormationStackResource stack, IServiceProvider services)
    {
        if (CliCanAsk(services))
        {
            return Task.CompletedTask;
        }
        var configuration = services.GetRequiredService<IConfiguration>();
        var missing = new[] { stack.StackName, stack.Region }.Concat(stack.TemplateParameters.Select(p => p.Value))
            .Where(p => string.IsNullOrEmpty(configuration[$"Parameters:{p.Name}"]))
            .Select(p => $"--Parameters:{p.Name}=...")
            .ToList();
        return missing.Count == 0
            ? Task.CompletedTask
            : throw new InvalidOperationException($"No Aspire CLI to ask for parameters, and none given: {string.Join(' ', missing)}");
    }

    private static async Task<string[]> StackAndRegionAsync(CloudFormationStackResource stack, PipelineStepContext context) =>
    [
        await ValueOfAsync(stack.StackName, context).ConfigureAwait(false),
        await ValueOfAsync(stack.Region, context).ConfigureAwait(false),
    ];

    private static async Task<List<string>> TemplateParametersAsync(CloudFormationStackResource stack, PipelineStepContext context)
    {
        var arguments = new List<string>();
        foreach (var (name, parameter) in stack.TemplateParameters)
        {
            arguments.Add($"{name}={await ValueOfAsync(parameter, context).ConfigureAwait(false)}");
        }
        return arguments;
    }

    private static async Task<string> ValueOfAsync(ParameterResource parameter, PipelineStepContext context) =>
        await parameter.GetValueAsync(context.CancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"The parameter {parameter.Name} has no value.");

    /// <summary>The output folder; for a dry run a folder of its own, so that the plan leaves a real package as it was.</summary>
    private static string PackageDirectory(CloudFormationStackResource stack, PipelineStepContext context)
    {
        var outputs = context.Services.GetRequiredService<IPipelineOutputService>();
        return DryRun(context) ? Path.Combine(outputs.GetTempDirectory(stack), "dry-run-package") : outputs.GetOutputDirectory();
    }

    /// <summary>
    /// <c>aspire deploy --dry-run</c>: the CLI passes the flag it does not know on to the AppHost, where it is only an
    /// argument (configuration reads a lone flag as nothing); <c>Deploy:DryRun=true</c> in configuration says the same.
    /// </summary>
    private static bool DryRun(PipelineStepContext context) =>
        context.Services.GetRequiredService<IConfiguration>().GetValue<bool>("Deploy:DryRun")
        || Environment.GetCommandLineArgs().Contains("--dry-run", StringComparer.Ordinal);
}
