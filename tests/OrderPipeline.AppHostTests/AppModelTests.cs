using System.Globalization;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace OrderPipeline.AppHostTests;

/// <summary>
/// The AppHost's app model as Program.cs builds it (nothing is started): what each project resource runs, its
/// endpoints, health checks, waits, restarts, settings and arguments. Needs MariaDB and the SQS emulator installed
/// (AddMySql and AddSqsEmulator look for them), as the system tests do.
/// </summary>
public sealed class AppModelTests
{
    [Fact]
    public async Task Each_project_resource_is_wired_as_the_system_expects()
    {
        await using var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.OrderPipeline_AppHost>(
            [$"--AppHost:DataDirectory={Path.Combine(Path.GetTempPath(), "op-model")}",
             "--AppHost:MySqlPort=13307", "--AppHost:SqsPort=14566", "--AppHost:ApiPort=15080",
             "--AppHost:Processors=2"],
            TestContext.Current.CancellationToken);

        var description = new List<string>();
        foreach (var project in builder.Resources.OfType<ProjectResource>().OrderBy(p => p.Name, StringComparer.Ordinal))
        {
            description.AddRange(await DescribeAsync(project));
        }
        TestContext.Current.TestOutputHelper?.WriteLine(string.Join('\n', description));

        Assert.Equal(Expected.ReplaceLineEndings("\n").Split('\n'), description);
    }

    /// <summary>The kinds of annotation that Program.cs's calls add (Aspire adds others of its own to every project).</summary>
    private static readonly HashSet<string> OwnAnnotations =
    [
        "AutoRestartAnnotation", "CommandLineArgsCallbackAnnotation", "EndpointAnnotation", "EnvironmentAnnotation", "ExecutableAnnotation",
        "HealthCheckAnnotation", "HttpsCertificateAnnotation", "ResourceCommandAnnotation", "ResourceRelationshipAnnotation", "WaitAnnotation",
    ];

    /// <summary>The annotations of the Notifier, in the order <see cref="DescribeAsync"/> lists them.</summary>
    private const string ServiceAnnotations = "AutoRestartAnnotation, EndpointAnnotation, EnvironmentAnnotation x8, ExecutableAnnotation, "
        + "HealthCheckAnnotation, HttpsCertificateAnnotation, ResourceRelationshipAnnotation x5, WaitAnnotation x3";

    /// <summary>The annotations of the Api: the Notifier's and its two admission limits.</summary>
    private const string ApiAnnotations = "AutoRestartAnnotation, EndpointAnnotation, EnvironmentAnnotation x10, ExecutableAnnotation, "
        + "HealthCheckAnnotation, HttpsCertificateAnnotation, ResourceRelationshipAnnotation x5, WaitAnnotation x3";

    /// <summary>The annotations of each Processor, in the order <see cref="DescribeAsync"/> lists them.</summary>
    private const string ProcessorAnnotations = "AutoRestartAnnotation, EndpointAnnotation, EnvironmentAnnotation x12, ExecutableAnnotation, "
        + "HealthCheckAnnotation, HttpsCertificateAnnotation, ResourceRelationshipAnnotation x8, WaitAnnotation x5";

    private const string Expected = $$"""
        api
          program: OrderPipeline.Api in the project's folder
          annotations: {{ApiAnnotations}}
          endpoint http: http port=15080 targetPort=15080 proxied=False
          health check: api_http_/health_200_check
          waits for: migrations WaitForCompletion
          waits for: order-created WaitUntilHealthy
          waits for: sqs WaitUntilHealthy
          auto-restart: AutoRestartAnnotation { MaxConsecutiveRestarts = 10, FirstDelay = 00:00:01, MaxDelay = 00:00:30 }
          env ASPNETCORE_URLS={api.bindings.http.scheme}://localhost:{api.bindings.http.targetPort}
          env AWS_ACCESS_KEY_ID=test
          env AWS_SECRET_ACCESS_KEY=test
          env AWS__Region=us-east-1
          env AWS__ServiceURL={sqs.bindings.http.url}
          env Admission__MaxOrdersInProgress=64
          env Admission__MaxQueuedOrders=5000
          env ConnectionStrings__orders={orders.connectionString}
          env DOTNET_TieredPGO=0
          env OTEL_DOTNET_EXPERIMENTAL_ASPNETCORE_DISABLE_URL_QUERY_REDACTION=true
          env OTEL_DOTNET_EXPERIMENTAL_HTTPCLIENT_DISABLE_URL_QUERY_REDACTION=true
          env OTEL_METRIC_EXPORT_INTERVAL=5000
          env Queues__OrderCreated=order-created
        migrations
          program: OrderPipeline.Migrations in the project's folder
          annotations: EnvironmentAnnotation x4, ExecutableAnnotation, HttpsCertificateAnnotation, ResourceRelationshipAnnotation x2, WaitAnnotation x2
          waits for: mysql WaitUntilHealthy
          waits for: orders WaitUntilHealthy
          env ConnectionStrings__orders={orders.connectionString}
          env Migrations__SeedSampleData=true
          env OTEL_DOTNET_EXPERIMENTAL_ASPNETCORE_DISABLE_URL_QUERY_REDACTION=true
          env OTEL_DOTNET_EXPERIMENTAL_HTTPCLIENT_DISABLE_URL_QUERY_REDACTION=true
          env OTEL_DOTNET_EXPERIMENTAL_OTLP_RETRY=in_memory
        notifier
          program: OrderPipeline.Notifier in the project's folder
          annotations: {{ServiceAnnotations}}
          endpoint http: http port= targetPort= proxied=True
          health check: notifier_http_/health_200_check
          waits for: migrations WaitForCompletion
          waits for: order-processed WaitUntilHealthy
          waits for: sqs WaitUntilHealthy
          auto-restart: AutoRestartAnnotation { MaxConsecutiveRestarts = 10, FirstDelay = 00:00:01, MaxDelay = 00:00:30 }
          env ASPNETCORE_URLS={notifier.bindings.http.scheme}://localhost:{notifier.bindings.http.targetPort}
          env AWS_ACCESS_KEY_ID=test
          env AWS_SECRET_ACCESS_KEY=test
          env AWS__Region=us-east-1
          env AWS__ServiceURL={sqs.bindings.http.url}
          env ConnectionStrings__orders={orders.connectionString}
          env DOTNET_TieredPGO=0
          env OTEL_DOTNET_EXPERIMENTAL_ASPNETCORE_DISABLE_URL_QUERY_REDACTION=true
          env OTEL_DOTNET_EXPERIMENTAL_HTTPCLIENT_DISABLE_URL_QUERY_REDACTION=true
          env OTEL_METRIC_EXPORT_INTERVAL=5000
          env Queues__OrderProcessed=order-processed
        processor
          program: OrderPipeline.Processor in the project's folder
          annotations: {{ProcessorAnnotations}}
          endpoint http: http port= targetPort= proxied=True
          health check: processor_http_/health_200_check
          waits for: migrations WaitForCompletion
          waits for: order-created WaitUntilHealthy
          waits for: order-processed WaitUntilHealthy
          waits for: sqs WaitUntilHealthy
          waits for: sqs WaitUntilHealthy
          auto-restart: AutoRestartAnnotation { MaxConsecutiveRestarts = 10, FirstDelay = 00:00:01, MaxDelay = 00:00:30 }
          env ASPNETCORE_URLS={processor.bindings.http.scheme}://localhost:{processor.bindings.http.targetPort}
          env AWS_ACCESS_KEY_ID=test
          env AWS_SECRET_ACCESS_KEY=test
          env AWS__Region=us-east-1
          env AWS__ServiceURL={sqs.bindings.http.url}
          env ConnectionStrings__orders={orders.connectionString}
          env DOTNET_TieredPGO=0
          env OTEL_DOTNET_EXPERIMENTAL_ASPNETCORE_DISABLE_URL_QUERY_REDACTION=true
          env OTEL_DOTNET_EXPERIMENTAL_HTTPCLIENT_DISABLE_URL_QUERY_REDACTION=true
          env OTEL_METRIC_EXPORT_INTERVAL=5000
          env Queues__OrderCreated=order-created
          env Queues__OrderProcessed=order-processed
        processor-2
          program: OrderPipeline.Processor in the project's folder
          annotations: {{ProcessorAnnotations}}
          endpoint http: http port= targetPort= proxied=True
          health check: processor-2_http_/health_200_check
          waits for: migrations WaitForCompletion
          waits for: order-created WaitUntilHealthy
          waits for: order-processed WaitUntilHealthy
          waits for: sqs WaitUntilHealthy
          waits for: sqs WaitUntilHealthy
          auto-restart: AutoRestartAnnotation { MaxConsecutiveRestarts = 10, FirstDelay = 00:00:01, MaxDelay = 00:00:30 }
          env ASPNETCORE_URLS={processor-2.bindings.http.scheme}://localhost:{processor-2.bindings.http.targetPort}
          env AWS_ACCESS_KEY_ID=test
          env AWS_SECRET_ACCESS_KEY=test
          env AWS__Region=us-east-1
          env AWS__ServiceURL={sqs.bindings.http.url}
          env ConnectionStrings__orders={orders.connectionString}
          env DOTNET_TieredPGO=0
          env OTEL_DOTNET_EXPERIMENTAL_ASPNETCORE_DISABLE_URL_QUERY_REDACTION=true
          env OTEL_DOTNET_EXPERIMENTAL_HTTPCLIENT_DISABLE_URL_QUERY_REDACTION=true
          env OTEL_METRIC_EXPORT_INTERVAL=5000
          env Queues__OrderCreated=order-created
          env Queues__OrderProcessed=order-processed
        """;

    private static async Task<List<string>> DescribeAsync(ProjectResource project)
    {
        var lines = new List<string> { project.Name };
        var projectDirectory = Path.GetDirectoryName(project.GetProjectMetadata().ProjectPath);
        lines.Add("  program: " + (project.TryGetLastAnnotation<ExecutableAnnotation>(out var executable)
            ? $"{Path.GetFileName(executable.Command)} in "
                + (executable.WorkingDirectory == projectDirectory ? "the project's folder" : executable.WorkingDirectory)
            : "dotnet run"));
        lines.Add("  annotations: " + string.Join(", ", project.Annotations.Select(a => a.GetType().Name).Where(OwnAnnotations.Contains)
            .GroupBy(name => name).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => g.Count() == 1 ? g.Key : $"{g.Key} x{g.Count()}")));
        foreach (var endpoint in project.Annotations.OfType<EndpointAnnotation>().OrderBy(e => e.Name, StringComparer.Ordinal))
        {
            lines.Add(string.Create(CultureInfo.InvariantCulture,
                $"  endpoint {endpoint.Name}: {endpoint.UriScheme} port={endpoint.Port} targetPort={endpoint.TargetPort} proxied={endpoint.IsProxied}"));
        }
        foreach (var check in project.Annotations.OfType<HealthCheckAnnotation>().Select(h => h.Key).Order(StringComparer.Ordinal))
        {
            lines.Add($"  health check: {check}");
        }
        foreach (var wait in project.Annotations.OfType<WaitAnnotation>().Select(w => $"{w.Resource.Name} {w.WaitType}").Order(StringComparer.Ordinal))
        {
            lines.Add($"  waits for: {wait}");
        }
        if (project.TryGetLastAnnotation<AutoRestartAnnotation>(out var restart))
        {
            lines.Add($"  auto-restart: {restart}");
        }
        // As a publish sees them: references stay expressions ({sqs.bindings.http.url}), nothing needs to be running.
        var configuration = await ExecutionConfigurationBuilder.Create(project).WithEnvironmentVariablesConfig().WithArgumentsConfig()
            .BuildAsync(new DistributedApplicationExecutionContext(DistributedApplicationOperation.Publish), NullLogger.Instance,
                TestContext.Current.CancellationToken);
        Assert.Null(configuration.Exception);
        foreach (var (name, value) in configuration.EnvironmentVariables.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            lines.Add($"  env {name}={value}");
        }
        foreach (var argument in configuration.Arguments)
        {
            lines.Add($"  arg {argument}");
        }
        return lines;
    }
}
