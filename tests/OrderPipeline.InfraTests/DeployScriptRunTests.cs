using System.Diagnostics;
using System.Text.RegularExpressions;
using OrderPipeline.InfraTests.Support;
using OrderPipeline.Testing;
using Xunit;
using OrderPipeline.Tests.Shared;

namespace OrderPipeline.InfraTests;

/// <summary>
/// infra/deploy.sh and infra/teardown.sh run for real, with a fake <c>aws</c>, <c>dotnet</c>, <c>curl</c> and
/// <c>zip</c> first on PATH that record their arguments (and answer the few read-only calls the scripts make), so
/// that --dry-run, the parameter checks and teardown's bucket rule are proven without an AWS account. Also: the
/// scripts stay within bash 3.2, the bash macOS ships.
/// </summary>
public sealed partial class DeployScriptRunTests : IDisposable
{
    private const string Stack = "op-dev";
    private const string Region = "eu-west-1";
    private const string Account = "123456789012";

    // aws calls that only read: the only ones a dry run may make.
    private static readonly string[] ReadOnlyAwsCalls =
        ["--version", "sts get-caller-identity", "cloudformation describe-stacks", "s3api head-bucket", "s3api head-object"];

    private readonly FakeCommands fakes = new();

    public DeployScriptRunTests()
    {
        // Each fake appends one line per call, "<tool> <arguments>", to $FAKE_LOG.
        fakes.Write("aws", $$"""
            case "$1 $2" in
              "--version "*) echo "aws-cli/2.15.0 Python/3.11.6 Linux/6 exe/x86_64" ;;
              "sts get-caller-identity") echo "{{Account}}" ;;
              "cloudformation describe-stacks")
                if [ -n "${FAKE_STACK_STATUS:-}" ]; then echo "$FAKE_STACK_STATUS"; else echo "Stack with id x does not exist" >&2; exit 255; fi ;;
              "s3api head-bucket") [ -n "${FAKE_BUCKET_EXISTS:-}" ] || exit 254 ;;
              "s3api head-object") exit 254 ;;
              "s3api get-bucket-tagging")
                if [ -n "${FAKE_BUCKET_TAG:-}" ]; then echo "$FAKE_BUCKET_TAG"; else exit 254; fi ;;
              "cloudformation describe-stack-resources") echo "None" ;;
            esac
            exit 0
            """);
        foreach (var tool in new[] { "dotnet", "curl", "zip" })
        {
            fakes.Write(tool, "exit 0");
        }
    }

    public void Dispose() => fakes.Dispose();

    // ----------------------------------------------------------------------------------------------------------------
    // --dry-run
    // ----------------------------------------------------------------------------------------------------------------
    [Fact]
    public async Task Dry_run_of_a_new_stack_changes_nothing_and_prints_every_command_it_would_run()
    {
        var run = await RunAsync("deploy.sh", ["--dry-run", Stack, Region, "JwtIssuer=https://issuer.example/", "JwtAudience=orders"]);

        Assert.True(run.ExitCode == 0, run.Output);
        // Only reads reached AWS; nothing was built or downloaded.
        Assert.All(run.Calls("aws"), call => Assert.Contains(ReadOnlyAwsCalls, prefix => call.StartsWith(prefix, StringComparison.Ordinal)));
        Assert.Empty(run.Calls("dotnet"));
        Assert.Empty(run.Calls("curl"));
        Assert.Empty(run.Calls("zip"));

        // What it would do: create and tag the bucket, fetch the CA bundle, publish four arm64 ReadyToRun builds each
        // with the bundle, deploy with deletion protection off, migrate, then protect the database and the stack.
        var printed = run.DryRunLines();
        Assert.Contains(printed, l => l.StartsWith("aws s3api create-bucket --bucket op-dev-artifacts-123456789012-eu-west-1", StringComparison.Ordinal));
        Assert.Contains(printed, l => l.StartsWith("aws s3api put-bucket-tagging", StringComparison.Ordinal)
            && l.Contains("orderpipeline:created-by-deploy-for-stack,Value=op-dev", StringComparison.Ordinal));
        Assert.Contains(printed, l => l.StartsWith("curl", StringComparison.Ordinal)
            && l.Contains("https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem", StringComparison.Ordinal));
        var publishes = printed.Where(l => l.StartsWith("dotnet publish", StringComparison.Ordinal)).ToList();
        Assert.Equal(4, publishes.Count);
        Assert.All(publishes, l => Assert.Contains("-r linux-arm64 --self-contained false -p:PublishReadyToRun=true", l, StringComparison.Ordinal));
        Assert.Equal(4, printed.Count(l => l.StartsWith("cp ", StringComparison.Ordinal) && l.EndsWith("/certs/rds-ca-bundle.pem", StringComparison.Ordinal)));

        var deploys = printed.Where(l => l.StartsWith("aws cloudformation deploy", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, deploys.Count);
        Assert.Contains("DeletionProtection=false", deploys[0], StringComparison.Ordinal);
        Assert.Contains("DeletionProtection=true", deploys[1], StringComparison.Ordinal);
        Assert.All(deploys, d =>
        {
            Assert.Contains("EnvironmentName=op-dev", d, StringComparison.Ordinal);
            Assert.Contains("JwtIssuer=https://issuer.example/", d, StringComparison.Ordinal);
            Assert.Matches(DeploymentIdOverride(), d);
        });
        Assert.Contains(printed, l => l.Contains("invoke op-dev-migrations once with {}", StringComparison.Ordinal));
        Assert.Contains(printed, l => l.StartsWith("aws cloudformation update-termination-protection", StringComparison.Ordinal)
            && l.EndsWith("--enable-termination-protection", StringComparison.Ordinal));
        Assert.Contains("nothing was changed", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dry_run_of_an_existing_stack_deploys_once_with_deletion_protection_and_needs_no_jwt_parameters()
    {
        var run = await RunAsync("deploy.sh", ["--dry-run", Stack, Region], ("FAKE_STACK_STATUS", "UPDATE_COMPLETE"), ("FAKE_BUCKET_EXISTS", "1"));

        Assert.True(run.ExitCode == 0, run.Output);
        var deploy = Assert.Single(run.DryRunLines(), l => l.StartsWith("aws cloudformation deploy", StringComparison.Ordinal));
        Assert.Contains("DeletionProtection=true", deploy, StringComparison.Ordinal);
        Assert.DoesNotContain(run.DryRunLines(), l => l.Contains("create-bucket", StringComparison.Ordinal)
            || l.Contains("termination-protection", StringComparison.Ordinal));
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Parameter checks: each refuses before anything is built or changed
    // ----------------------------------------------------------------------------------------------------------------
    [Theory]
    [InlineData("cn-north-1", "no AWS Lambda Web Adapter layer for arm64")]
    [InlineData("us-gov-west-1", "no AWS Lambda Web Adapter layer for arm64")]
    [InlineData("EU-WEST-1", "invalid region")]
    public async Task Deploy_refuses_a_region_without_the_web_adapter_layer(string region, string message)
    {
        var run = await RunAsync("deploy.sh", [Stack, region, "JwtIssuer=https://issuer.example/", "JwtAudience=orders"]);

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains(message, run.Output, StringComparison.Ordinal);
        Assert.Empty(run.Calls("aws"));
        Assert.Empty(run.Calls("dotnet"));
    }

    [Theory]
    [InlineData("9lives", "invalid stack name")]
    [InlineData("a", "refuses")]                       // a one-letter prefix is too short for EnvironmentName
    [InlineData("op_dev", "invalid stack name")]
    public async Task Deploy_refuses_a_stack_name_that_gives_no_valid_environment_name(string stack, string message)
    {
        var run = await RunAsync("deploy.sh", ["--dry-run", stack, Region]);

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains(message, run.Output, StringComparison.Ordinal);
        Assert.Empty(run.Calls("aws"));
    }

    [Theory]
    [InlineData("not-a-pair", "is not Key=Value")]
    [InlineData("DeploymentId=mine", "DeploymentId is set by deploy.sh")]
    [InlineData("CodeBucket=other", "CodeBucket is set by deploy.sh")]
    [InlineData("DeletionProtection=maybe", "DeletionProtection must be true or false")]
    public async Task Deploy_refuses_an_override_it_cannot_honour(string parameter, string message)
    {
        var run = await RunAsync("deploy.sh", ["--dry-run", Stack, Region, parameter]);

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains(message, run.Output, StringComparison.Ordinal);
        Assert.Empty(run.Calls("aws"));
    }

    [Fact]
    public async Task Deploy_refuses_a_new_stack_without_the_jwt_issuer_and_audience()
    {
        var run = await RunAsync("deploy.sh", ["--dry-run", Stack, Region, "JwtIssuer=https://issuer.example/"]);

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("JwtAudience", run.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(run.Calls("aws"), c => c.StartsWith("cloudformation deploy", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Deploy_sends_a_stack_left_by_a_failed_first_create_to_teardown_instead_of_updating_it()
    {
        var run = await RunAsync("deploy.sh", ["--dry-run", Stack, Region], ("FAKE_STACK_STATUS", "ROLLBACK_COMPLETE"));

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("ROLLBACK_COMPLETE", run.Output, StringComparison.Ordinal);
        Assert.Contains("teardown.sh", run.Output, StringComparison.Ordinal);
    }

    // ----------------------------------------------------------------------------------------------------------------
    // teardown.sh deletes only a bucket deploy.sh created
    // ----------------------------------------------------------------------------------------------------------------
    [Fact]
    public async Task Teardown_never_deletes_a_bucket_deploy_did_not_create_and_removes_only_this_stacks_uploads()
    {
        var run = await RunAsync("teardown.sh", [Stack, Region, "--yes"], ("FAKE_BUCKET_EXISTS", "1"), ("ARTIFACTS_BUCKET", "team-shared-builds"));

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.DoesNotContain(run.Calls("aws"), c => c.StartsWith("s3api delete-bucket", StringComparison.Ordinal));
        var remove = Assert.Single(run.Calls("aws"), c => c.StartsWith("s3 rm", StringComparison.Ordinal));
        Assert.StartsWith("s3 rm s3://team-shared-builds/op-dev/ --recursive", remove, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Teardown_deletes_the_bucket_deploy_created_for_this_stack()
    {
        var run = await RunAsync("teardown.sh", [Stack, Region, "--yes"], ("FAKE_BUCKET_EXISTS", "1"), ("FAKE_BUCKET_TAG", Stack));

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Contains(run.Calls("aws"), c => c.StartsWith($"s3api delete-bucket --bucket op-dev-artifacts-{Account}-{Region}", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Teardown_lifts_termination_protection_before_deleting_the_stack()
    {
        var run = await RunAsync("teardown.sh", [Stack, Region, "--yes"], ("FAKE_STACK_STATUS", "UPDATE_COMPLETE"));

        Assert.True(run.ExitCode == 0, run.Output);
        var calls = run.Calls("aws").ToList();
        var lift = calls.FindIndex(c => c.StartsWith("cloudformation update-termination-protection", StringComparison.Ordinal)
            && c.Contains("--no-enable-termination-protection", StringComparison.Ordinal));
        var delete = calls.FindIndex(c => c.StartsWith("cloudformation delete-stack", StringComparison.Ordinal));
        Assert.InRange(lift, 0, delete - 1);
        Assert.Contains("op-dev-order-created-dlq", run.Output, StringComparison.Ordinal); // it says what it kept
    }

    // ----------------------------------------------------------------------------------------------------------------
    // bash 3.2
    // ----------------------------------------------------------------------------------------------------------------
    public static TheoryData<string> Scripts => ["package.sh", "deploy.sh", "teardown.sh", "lib/common.sh"];

    [Theory]
    [MemberData(nameof(Scripts))]
    public void Script_uses_nothing_newer_than_bash_3_2(string script)
    {
        var code = string.Join('\n', File.ReadAllLines(ScriptPath(script)).Where(line => !line.TrimStart().StartsWith('#')));

        foreach (var (pattern, what) in Bash4Constructs)
        {
            Assert.False(Regex.IsMatch(code, pattern, RegexOptions.Multiline), $"{script} uses {what}, which bash 3.2 (macOS) does not have.");
        }

        // Under set -u, bash before 4.4 calls "${a[@]}" of an empty array unbound: expand arrays as ${a[@]+"${a[@]}"}.
        var unguarded = UnguardedArrayExpansion().Matches(code).Where(m => !code[..m.Index].EndsWith('+'));
        Assert.Empty(unguarded.Select(m => m.Value));
    }

    [Theory]
    [MemberData(nameof(Scripts))]
    public async Task Script_parses_with_bash_n(string script)
    {
        var run = await RunProcessAsync("bash", ["-n", ScriptPath(script)], []);
        Assert.True(run.ExitCode == 0, run.Output);
    }

    private static readonly (string Pattern, string What)[] Bash4Constructs =
    [
        (@"\b(declare|local|typeset)\s+-[a-zA-Z]*A", "associative arrays"),
        (@"\b(declare|local|typeset)\s+-[a-zA-Z]*n\b", "name references"),
        (@"\$\{[A-Za-z_][A-Za-z0-9_]*(\[[^]]*\])?(,,?|\^\^?)\}", "case conversion ${var,,} / ${var^^}"),
        (@"\$\{[A-Za-z_][A-Za-z0-9_]*@[QEPAa]\}", "${var@Q} transformations"),
        (@"\b(mapfile|readarray|coproc)\b", "mapfile/readarray/coproc"),
        (@"\[\[\s+-v\s", "[[ -v ]]"),
        (@"\|&", "|&"),
        (@"&>>", "&>>"),
        (@";;&|;&\s*$", "case fall-through ;& / ;;&"),
        (@"\bwait\s+-n\b", "wait -n"),
        (@"\bread\s+(-[a-zA-Z]*\s+)*-[a-zA-Z]*[iN]", "read -i / -N"),
        (@"\$\{[A-Za-z_][A-Za-z0-9_]*\[-[0-9]+\]\}", "negative array indices"),
        (@"\bshopt\s+-s\s+(globstar|lastpipe|autocd)", "bash 4 shell options"),
        (@"\$(EPOCHSECONDS|EPOCHREALTIME|BASHPID)\b", "bash 4/5 variables"),
        (@"printf\s+'%\(", "printf %(...)T"),
        (@"\{[0-9]+\.\.[0-9]+\.\.[0-9]+\}", "brace ranges with a step"),
    ];

    // ----------------------------------------------------------------------------------------------------------------
    private sealed record Run(int ExitCode, string Output, IReadOnlyList<string> Log)
    {
        public IEnumerable<string> Calls(string tool) =>
            Log.Where(l => l.StartsWith(tool + " ", StringComparison.Ordinal)).Select(l => l[(tool.Length + 1)..]);

        /// <summary>The commands a dry run printed, with the shell quoting of printf %q taken off the simple cases.</summary>
        public IReadOnlyList<string> DryRunLines() =>
            Output.Split('\n')
                .Where(l => l.StartsWith("DRY-RUN: ", StringComparison.Ordinal))
                .Select(l => l["DRY-RUN: ".Length..].Replace("\\", "", StringComparison.Ordinal))
                .ToList();
    }

    private async Task<Run> RunAsync(string script, string[] arguments, params (string Name, string Value)[] environment)
    {
        var log = Path.Combine(fakes.Directory, $"calls-{Guid.NewGuid():N}.log");
        File.WriteAllText(log, string.Empty);
        var result = await RunProcessAsync(
            "bash",
            [ScriptPath(script), .. arguments],
            [("PATH", $"{fakes.Directory}:/usr/bin:/bin"), ("FAKE_LOG", log), ("ARTIFACTS_BUCKET", null),
             .. environment.Select(e => (e.Name, (string?)e.Value))]);
        return new Run(result.ExitCode, result.Output, File.ReadAllLines(log));
    }

    private static async Task<(int ExitCode, string Output)> RunProcessAsync(string program, string[] arguments, (string Name, string? Value)[] environment)
    {
        var startInfo = new ProcessStartInfo(program)
        {
            WorkingDirectory = RepositoryRoot.Path,
            // Its input is closed at once: a script that asks a question fails instead of waiting.
            RedirectStandardInput = true,
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }
        foreach (var key in new[] { "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE" })
        {
            startInfo.Environment.Remove(key);
        }
        foreach (var (name, value) in environment)
        {
            if (value is null)
            {
                startInfo.Environment.Remove(name);
            }
            else
            {
                startInfo.Environment[name] = value;
            }
        }

        return await ChildProcess.RunAsync(startInfo, TimeSpan.FromMinutes(1), TestContext.Current.CancellationToken);
    }

    private static string ScriptPath(string script) => Path.Combine(RepositoryRoot.Path, "infra", script);

    [GeneratedRegex(@"""\$\{[A-Za-z_][A-Za-z0-9_]*\[@\]\}""")]
    private static partial Regex UnguardedArrayExpansion();

    [GeneratedRegex(@"DeploymentId=\d{8}T\d{6}Z")]
    private static partial Regex DeploymentIdOverride();
}
