using System.Text.RegularExpressions;
using OrderPipeline.AppHost.Deployment;
using OrderPipeline.InfraTests.Support;
using OrderPipeline.Testing;
using Xunit;
using YamlDotNet.RepresentationModel;

namespace OrderPipeline.InfraTests;

/// <summary>
/// infra/package.sh and infra/deploy.sh against infra/template.yaml: every function's code is built and passed, only declared outputs
/// are read, and the schema is applied by invoking the Migrations function once. (The script itself needs AWS to
/// run; these checks read it.)
/// </summary>
public sealed partial class DeployScriptTests
{
    private readonly CloudFormationTemplate template = RepositoryTemplate.Load();

    // The script with its line continuations joined, so that each command is one line.
    private readonly string script = DeploymentScripts.Text;

    [Fact]
    public void Deploy_script_builds_and_passes_the_code_of_every_function()
    {
        var parameters = (YamlMappingNode)template.Root["Parameters"];
        var codeKeys = parameters.Children.Keys
            .Select(k => ((YamlScalarNode)k).Value!)
            .Where(name => name.EndsWith("CodeKey", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .ToList();
        Assert.Equal(["ApiCodeKey", "MigrationsCodeKey", "NotifierCodeKey", "ProcessorCodeKey"], codeKeys);

        // Each OrderPipeline.<Project> is published and zipped in one loop ...
        var built = ServiceLoop().Match(script);
        Assert.True(built.Success, "deploy.sh has no `for service in ...; do` build loop.");
        Assert.Equal(
            codeKeys.Select(key => key[..^"CodeKey".Length]),
            built.Groups[1].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal));

        // ... and its key is passed as the parameter of the same name.
        var passed = CodeKeyOverride().Matches(script)
            .Select(m => (Parameter: m.Groups[1].Value, Project: m.Groups[2].Value))
            .OrderBy(p => p.Parameter, StringComparer.Ordinal)
            .ToList();
        Assert.Equal(codeKeys, passed.Select(p => p.Parameter));
        Assert.All(passed, p => Assert.Equal($"{p.Project}CodeKey", p.Parameter));
    }

    [Fact]
    public void Deploy_script_reads_only_outputs_the_template_declares()
    {
        var outputs = ((YamlMappingNode)template.Root["Outputs"]).Children.Keys
            .Select(k => ((YamlScalarNode)k).Value!)
            .ToHashSet(StringComparer.Ordinal);
        var read = OutputRead().Matches(script).Select(m => m.Groups[2].Value).ToList();

        Assert.NotEmpty(read);
        Assert.All(read, name => Assert.Contains(name, outputs));
    }

    [Fact]
    public void Deploy_script_applies_the_schema_by_invoking_the_migrations_function_once_with_an_empty_object()
    {
        var variable = Assert.Single(OutputRead().Matches(script), m => m.Groups[2].Value == "MigrationsFunctionName").Groups[1].Value;

        var invocation = Assert.Single(script.Split('\n'), line => line.Contains("aws lambda invoke", StringComparison.Ordinal));
        Assert.Contains($"--function-name \"${variable}\"", invocation, StringComparison.Ordinal);
        Assert.Contains("--payload '{}'", invocation, StringComparison.Ordinal);

        // Success is no FunctionError and the function's own answer, {"status":"applied"}.
        Assert.Contains("grep -q '\"applied\"'", script, StringComparison.Ordinal);
        Assert.DoesNotContain("ProcessorFunctionName", script, StringComparison.Ordinal);
        Assert.DoesNotContain("Records", script, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"^for service in ([A-Za-z ]+); do$", RegexOptions.Multiline)]
    private static partial Regex ServiceLoop();

    [GeneratedRegex(@"""(\w+CodeKey)=\$(\w+)_CODE_KEY""")]
    private static partial Regex CodeKeyOverride();

    [GeneratedRegex(@"(\w+)=""\$\(output (\w+)\)""")]
    private static partial Regex OutputRead();
}
