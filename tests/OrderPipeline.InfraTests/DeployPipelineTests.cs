using System.Diagnostics;
using System.IO.Compression;
using System.Reflection.PortableExecutable;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using OrderPipeline.InfraTests.Support;
using OrderPipeline.Testing;
using OrderPipeline.Tests.Shared;

namespace OrderPipeline.InfraTests;

/// <summary>
/// <c>aspire publish</c>, <c>aspire deploy</c> and <c>aspire destroy</c> as the Aspire CLI runs them: the AppHost's
/// build started with <c>--operation publish --step ...</c>, its parameters given as <c>--Parameters:...</c> (which the
/// CLI would have asked for), and a stand-in <c>aws</c> first on PATH that keeps what it was given (the bucket, the
/// uploaded objects, the stack) in a folder, so that a second run sees what the first one did.
/// </summary>
public sealed partial class DeployPipelineTests : IDisposable
{
    private const string Issuer = "https://issuer.example/";

    private static readonly string[] ReadOnlyAwsCalls =
        ["--version", "sts get-caller-identity", "cloudformation describe-stacks", "s3api head-bucket", "s3api head-object"];

    private readonly FakeCommands fakes = new();
    private readonly string work = Directory.CreateTempSubdirectory("orderpipeline-pipeline-").FullName;

    public DeployPipelineTests()
    {
        Directory.CreateDirectory(Home);
        Directory.CreateDirectory(AwsState);
        // Five certificates, as the RDS bundle and the Amazon roots make at least: package.sh checks the count.
        File.WriteAllText(CaBundle, string.Concat(Enumerable.Range(1, 5).Select(i =>
            $"-----BEGIN CERTIFICATE-----\nTEST{i}\n-----END CERTIFICATE-----\n")));
        fakes.Write("aws", """
            state="$FAKE_AWS_STATE"
            if [ -n "${FAKE_FAIL:-}" ] && [ "$1 $2" = "$FAKE_FAIL" ]; then echo "An error occurred (ValidationError): injected failure" >&2; exit 255; fi
            case "$1 $2" in
              "--version "*) echo "aws-cli/2.15.0 Python/3.11.6 Linux/6 exe/x86_64" ;;
              "sts get-caller-identity") echo "123456789012" ;;
              "cloudformation describe-stacks")
                [ -f "$state/stack" ] || { echo "Stack with id x does not exist" >&2; exit 255; }
                case "$*" in
                  *StackStatus*) echo "UPDATE_COMPLETE" ;;
                  *ApiUrl*) echo "https://api.example.test" ;;
                  *MigrationsFunctionName*) echo "op-dev-migrations" ;;
                  *DashboardName*) echo "op-dev-dashboard" ;;
                  *) echo "(outputs table)" ;;
                esac ;;
              "cloudformation deploy") touch "$state/stack" ;;
              "cloudformation delete-stack") rm -f "$state/stack" ;;
              "cloudformation describe-stack-resources") echo "None" ;;
              "s3api head-bucket") [ -f "$state/bucket" ] || exit 254 ;;
              "s3api create-bucket") touch "$state/bucket" ;;
              "s3api get-bucket-tagging") echo "op-dev" ;;
              "s3api delete-bucket") rm -f "$state/bucket" ;;
              "s3api head-object") grep -qxF "$6" "$state/objects" 2>/dev/null || exit 254 ;;
              "s3 cp") [ -f "$3" ] || { echo "no such file $3" >&2; exit 1; }; echo "${4#s3://*/}" >> "$state/objects" ;;
              "rds describe-db-proxy-targets") echo "AVAILABLE" ;;
              "lambda invoke") for last; do :; done; echo '{"status":"applied","applied":[]}' > "$last"; echo "None" ;;
            esac
            exit 0
            """);
        fakes.Write("curl", "exit 1");
    }

    private string Home => Path.Combine(work, "home");

    private string AwsState => Path.Combine(work, "aws");

    private string Output => Path.Combine(work, "out");

    private string CaBundle => Path.Combine(work, "ca.pem");

    public void Dispose()
    {
        fakes.Dispose();
        Directory.Delete(work, recursive: true);
    }

    // ----------------------------------------------------------------------------------------------------------------
    // aspire publish
    // ----------------------------------------------------------------------------------------------------------------
    [Fact]
    public async Task Publish_writes_the_template_four_arm64_ready_to_run_packages_named_by_content_and_the_parameters()
    {
        // The real build: only aws and curl are stand-ins, and neither may be called.
        var run = await RunAsync("publish", Parameters);

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Empty(run.Log);
        Assert.Equal(File.ReadAllText(Path.Combine(RepositoryRoot.Path, "infra", "template.yaml")), File.ReadAllText(Path.Combine(Output, "template.yaml")));

        var zips = Directory.GetFiles(Path.Combine(Output, "functions")).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(["api", "migrations", "notifier", "processor"], zips.Select(z => z![..z!.IndexOf('-', StringComparison.Ordinal)]));
        Assert.All(zips, z => Assert.Matches(PackageName(), z));
        var parameters = JsonSerializer.Deserialize<List<Dictionary<string, string>>>(File.ReadAllText(Path.Combine(Output, "parameters.json")))!
            .ToDictionary(p => p["ParameterKey"], p => p["ParameterValue"], StringComparer.Ordinal);
        Assert.Equal(zips.Single(z => z!.StartsWith("api-", StringComparison.Ordinal)), parameters["ApiCodeKey"]);
        Assert.Equal(zips.Single(z => z!.StartsWith("migrations-", StringComparison.Ordinal)), parameters["MigrationsCodeKey"]);
        Assert.Equal(Issuer, parameters["JwtIssuer"]);
        Assert.Equal("orders", parameters["JwtAudience"]);
        Assert.Equal("ops@example.com", parameters["AlarmEmail"]);

        foreach (var service in new[] { "Api", "Processor", "Notifier", "Migrations" })
        {
            var zip = zips.Single(z => z!.StartsWith(service.ToLowerInvariant() + "-", StringComparison.Ordinal));
            using var archive = ZipFile.OpenRead(Path.Combine(Output, "functions", zip!));
            Assert.Equal(File.ReadAllText(CaBundle), ReadText(archive.GetEntry("certs/rds-ca-bundle.pem")!));

            // ReadyToRun code for Linux on arm64, as the template's functions run: the PE machine is arm64 XOR Linux's mark.
            using var program = new MemoryStream(ReadBytes(archive.GetEntry($"OrderPipeline.{service}.dll")!));
            using var pe = new PEReader(program);
            Assert.Equal((Machine)(0xAA64 ^ 0x7B79), pe.PEHeaders.CoffHeader.Machine);
            Assert.True(pe.PEHeaders.CorHeader!.ManagedNativeHeaderDirectory.Size > 0, $"OrderPipeline.{service}.dll is not ReadyToRun.");

            // Nothing in it names the machine: no build path in any file, every date the zip format's first.
            var path = RepositoryRoot.Path;
            foreach (var entry in archive.Entries)
            {
                var bytes = ReadBytes(entry);
                Assert.False(Contains(bytes, Encoding.UTF8.GetBytes(path)) || Contains(bytes, Encoding.Unicode.GetBytes(path)),
                    $"{zip}/{entry.FullName} names {path}");
                Assert.Equal(1980, entry.LastWriteTime.Year);
            }
        }
    }

    // ----------------------------------------------------------------------------------------------------------------
    // aspire deploy
    // ----------------------------------------------------------------------------------------------------------------
    [Fact]
    public async Task Deploy_creates_the_bucket_uploads_deploys_with_the_parameters_migrates_then_protects_in_that_order()
    {
        var run = await RunAsync("deploy", [.. Parameters], fakeBuild: true);

        Assert.True(run.ExitCode == 0, run.Output);
        var calls = run.Calls("aws").Where(c => c != "--version").ToList();
        int First(string prefix) => calls.FindIndex(c => c.StartsWith(prefix, StringComparison.Ordinal));
        string[] order =
        [
            "sts get-caller-identity", "s3api create-bucket", "s3api put-bucket-tagging", "s3 cp", "cloudformation deploy",
            "rds describe-db-proxy-targets", "lambda invoke", "cloudformation update-termination-protection",
        ];
        Assert.All(order, step => Assert.True(First(step) >= 0, $"no {step} in:\n{string.Join('\n', calls)}"));
        Assert.Equal(order.Select(First).Order(), order.Select(First));

        // Four uploads, under the stack's prefix; the stack created unprotected, then protected once migrated.
        Assert.Equal(4, calls.Count(c => c.StartsWith("s3 cp", StringComparison.Ordinal)));
        var deploys = calls.Where(c => c.StartsWith("cloudformation deploy", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, deploys.Count);
        Assert.Contains("DeletionProtection=false", deploys[0], StringComparison.Ordinal);
        Assert.Contains("DeletionProtection=true", deploys[1], StringComparison.Ordinal);
        Assert.All(deploys, d =>
        {
            Assert.Contains($"JwtIssuer={Issuer}", d, StringComparison.Ordinal);
            Assert.Contains("JwtAudience=orders", d, StringComparison.Ordinal);
            Assert.Contains("AlarmEmail=ops@example.com", d, StringComparison.Ordinal);
            Assert.Matches(@"ApiCodeKey=op-dev/api-[0-9a-f]{16}\.zip", d);
            Assert.Contains($"--template-file {Output}/template.yaml", d, StringComparison.Ordinal);
        });
        Assert.Contains("API: https://api.example.test", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_second_deploy_of_the_same_code_uploads_nothing_and_changed_code_is_uploaded_again()
    {
        var first = await RunAsync("deploy", Parameters, fakeBuild: true);
        var second = await RunAsync("deploy", Parameters, fakeBuild: true);
        var changed = await RunAsync("deploy", Parameters, fakeBuild: true, codeVersion: "2");

        Assert.True(first.ExitCode == 0 && second.ExitCode == 0 && changed.ExitCode == 0, first.Output + second.Output + changed.Output);
        Assert.Equal(4, first.Calls("aws").Count(c => c.StartsWith("s3 cp", StringComparison.Ordinal)));
        Assert.DoesNotContain(second.Calls("aws"), c => c.StartsWith("s3 cp", StringComparison.Ordinal));
        Assert.Single(second.Calls("aws"), c => c.StartsWith("cloudformation deploy", StringComparison.Ordinal)); // an update: no protection step
        Assert.Equal(4, changed.Calls("aws").Count(c => c.StartsWith("s3 cp", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_failed_step_stops_every_step_after_it()
    {
        var run = await RunAsync("deploy", Parameters, fakeBuild: true, environment: [("FAKE_FAIL", "cloudformation deploy")]);

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("injected failure", run.Output, StringComparison.Ordinal);
        var calls = run.Calls("aws").ToList();
        Assert.Single(calls, c => c.StartsWith("cloudformation deploy", StringComparison.Ordinal));
        Assert.DoesNotContain(calls, c => c.StartsWith("rds ", StringComparison.Ordinal) || c.StartsWith("lambda ", StringComparison.Ordinal)
            || c.Contains("termination-protection", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Dry_run_only_reads_from_aws_and_prints_every_command_that_would_change_something()
    {
        var run = await RunAsync("deploy", [.. Parameters, "--dry-run"], fakeBuild: true);

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.All(run.Calls("aws"), call => Assert.Contains(ReadOnlyAwsCalls, prefix => call.StartsWith(prefix, StringComparison.Ordinal)));
        Assert.Empty(run.Calls("dotnet"));
        var printed = run.Output.Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith("DRY-RUN: ", StringComparison.Ordinal)).ToList();
        foreach (var change in new[] { "aws s3api create-bucket", "dotnet publish", "aws s3 cp", "aws cloudformation deploy", "invoke op-dev-migrations",
            "aws cloudformation update-termination-protection" })
        {
            Assert.Contains(printed, l => l.StartsWith("DRY-RUN: " + change, StringComparison.Ordinal));
        }
        Assert.False(Directory.Exists(Path.Combine(Output, "functions")), "a dry run wrote into the output folder");
    }

    [Fact]
    public async Task Without_the_cli_to_ask_a_missing_parameter_fails_at_once_and_calls_nothing()
    {
        var run = await RunAsync("deploy", ["--Parameters:stack-name=op-dev", "--Parameters:region=eu-west-1"], fakeBuild: true);

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("--Parameters:jwt-issuer=", run.Output, StringComparison.Ordinal);
        Assert.Empty(run.Log);
    }

    // ----------------------------------------------------------------------------------------------------------------
    // aspire destroy
    // ----------------------------------------------------------------------------------------------------------------
    [Fact]
    public async Task Destroy_deletes_nothing_unconfirmed_and_with_yes_deletes_the_stack_and_the_bucket_deploy_made()
    {
        var deployed = await RunAsync("deploy", Parameters, fakeBuild: true);
        Assert.True(deployed.ExitCode == 0, deployed.Output);

        var unconfirmed = await RunAsync("destroy", Parameters);
        Assert.NotEqual(0, unconfirmed.ExitCode);
        Assert.Contains("--yes", unconfirmed.Output, StringComparison.Ordinal);
        Assert.Empty(unconfirmed.Log);

        var confirmed = await RunAsync("destroy", [.. Parameters, "--yes", "true"]);
        Assert.True(confirmed.ExitCode == 0, confirmed.Output);
        var calls = confirmed.Calls("aws").ToList();
        Assert.Contains(calls, c => c.StartsWith("cloudformation delete-stack --region eu-west-1 --stack-name op-dev", StringComparison.Ordinal));
        Assert.Contains(calls, c => c.StartsWith("s3api delete-bucket --bucket op-dev-artifacts-123456789012-eu-west-1", StringComparison.Ordinal));
    }

    // ----------------------------------------------------------------------------------------------------------------
    private static readonly string[] Parameters =
    [
        "--Parameters:stack-name=op-dev", "--Parameters:region=eu-west-1", $"--Parameters:jwt-issuer={Issuer}",
        "--Parameters:jwt-audience=orders", "--Parameters:alarm-email=ops@example.com",
    ];

    private sealed record Run(int ExitCode, string Output, IReadOnlyList<string> Log)
    {
        public IEnumerable<string> Calls(string tool) =>
            Log.Where(l => l.StartsWith(tool + " ", StringComparison.Ordinal)).Select(l => l[(tool.Length + 1)..]);
    }

    /// <summary>
    /// Runs the AppHost's build as <c>aspire {step}</c> would. With <paramref name="fakeBuild"/>, a stand-in dotnet builds
    /// each function as one small file (its content changes with <paramref name="codeVersion"/>) instead of the real build.
    /// </summary>
    private async Task<Run> RunAsync(string step, string[] arguments, bool fakeBuild = false, string codeVersion = "1",
        (string Name, string Value)[]? environment = null)
    {
        if (fakeBuild)
        {
            fakes.Write("dotnet", """
                out=""; previous=""
                for argument in "$@"; do [ "$previous" = "-o" ] && out="$argument"; previous="$argument"; done
                name="$(basename "$2" .csproj)"
                mkdir -p "$out" && printf 'built %s version %s' "$name" "$FAKE_CODE_VERSION" > "$out/$name.dll"
                """);
        }
        else
        {
            File.Delete(Path.Combine(fakes.Directory, "dotnet"));
        }

        var log = Path.Combine(work, $"calls-{Guid.NewGuid():N}.log");
        File.WriteAllText(log, "");
        var start = new ProcessStartInfo(RealDotnet) { WorkingDirectory = RepositoryRoot.Path, RedirectStandardInput = true };
        foreach (var argument in (string[])[AppHost, "--operation", "publish", "--step", step, "--output-path", Output, .. arguments])
        {
            start.ArgumentList.Add(argument);
        }
        var inherited = start.Environment.Keys.Where(k => k.StartsWith("AWS_", StringComparison.Ordinal) || k.StartsWith("ASPIRE_", StringComparison.Ordinal));
        foreach (var key in inherited.ToList())
        {
            start.Environment.Remove(key);
        }
        // The real dotnet's folder after the stand-ins: package.sh's build finds the stand-in first when there is one.
        start.Environment["PATH"] = $"{fakes.Directory}:{Path.GetDirectoryName(RealDotnet)}:/usr/bin:/bin";
        // A home of the test's own, where Aspire keeps the deployment state (the parameters it was given), so that a
        // developer's own stays as it was; the real build still finds the packages and feeds of the real home.
        var realHome = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        var feeds = Path.Combine(realHome, ".nuget", "NuGet", "NuGet.Config");
        if (File.Exists(feeds))
        {
            Directory.CreateDirectory(Path.Combine(Home, ".nuget", "NuGet"));
            File.Copy(feeds, Path.Combine(Home, ".nuget", "NuGet", "NuGet.Config"), overwrite: true);
        }
        start.Environment["NUGET_PACKAGES"] = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } packages
            ? packages
            : Path.Combine(realHome, ".nuget", "packages");
        start.Environment["HOME"] = Home;
        start.Environment["DOTNET_CLI_HOME"] = Home;
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        start.Environment["FAKE_LOG"] = log;
        start.Environment["FAKE_AWS_STATE"] = AwsState;
        start.Environment["FAKE_CODE_VERSION"] = codeVersion;
        start.Environment["RDS_CA_BUNDLE"] = CaBundle;
        foreach (var (name, value) in environment ?? [])
        {
            start.Environment[name] = value;
        }
        var (exitCode, output) = await ChildProcess.RunAsync(start, TimeSpan.FromMinutes(8), TestContext.Current.CancellationToken);
        return new Run(exitCode, output, File.ReadAllLines(log));
    }

    /// <summary>The AppHost as this test project's configuration built it (the project reference builds it first).</summary>
    private static string AppHost
    {
        get
        {
            var configuration = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name;
            return Path.Combine(RepositoryRoot.Path, "src", "OrderPipeline.AppHost", "bin", configuration, "net10.0", "OrderPipeline.AppHost.dll");
        }
    }

    /// <summary>The dotnet that runs the tests (not a stand-in): the host the test run was started by, else the one on PATH.</summary>
    private static string RealDotnet =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host)
            ? host
            : (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
                .Select(d => Path.Combine(d, "dotnet")).First(File.Exists);

    private static byte[] ReadBytes(ZipArchiveEntry entry)
    {
        using var stream = entry.Open();
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    private static string ReadText(ZipArchiveEntry entry) => Encoding.UTF8.GetString(ReadBytes(entry));

    private static bool Contains(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle) >= 0;

    [GeneratedRegex(@"^(api|processor|notifier|migrations)-[0-9a-f]{16}\.zip$")]
    private static partial Regex PackageName();
}
