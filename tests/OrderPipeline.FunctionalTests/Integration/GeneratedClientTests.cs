using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using OrderPipeline.Api.Orders;
using OrderPipeline.Processor.Orders;
using OrderPipeline.Testing;
using OrderPipeline.Tests.Shared;
using OrderPipeline.FunctionalTests.Support;

namespace OrderPipeline.FunctionalTests.Integration;

/// <summary>
/// The OpenAPI document as a client developer uses it: Kiota (the local tool pinned in .config/dotnet-tools.json) generates
/// a C# client from the document the running Api serves; a small console program, written to a temporary directory (out of
/// the solution and its build), calls the Api through it over HTTP; its results are judged here. An order placed (202) and
/// read back (200) come back as typed models; refusals (400, 404, 413, 422) as typed exceptions whose message is the
/// problem's title. The Api and the Processor run in-process against the real MariaDB and SQS emulator, the Api on Kestrel
/// (a loopback port) so that another process can reach it.
/// </summary>
[Collection(InfrastructureCollection.Name)]
public sealed class GeneratedClientTests(InfrastructureFixture infra)
{
    /// <summary>Kiota's runtime libraries, at the version served here that goes with the 1.38 generator.</summary>
    private const string KiotaLibraries = "2.1.6";

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_client_generated_by_Kiota_from_the_document_places_and_reads_orders_and_is_refused_with_typed_errors()
    {
        var (orderCreated, _) = await infra.CreateQueuePairAsync("kiota");
        var (orderProcessed, _) = await infra.CreateQueuePairAsync("kiota-out");
        var product = await infra.Database.AddProductAsync(10);
        await using var processor = new ServiceFactory<OrderCreatedHandler>(
            infra.ServiceSettings(orderCreated).With(("Queues:OrderProcessed", orderProcessed)));
        _ = processor.Server; // starts the host and its consumer
        await using var api = new ServiceFactory<OrderQueries>(infra.ServiceSettings(orderCreated));
        api.UseKestrel(0);
        api.StartServer();
        var baseUrl = new Uri(api.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First());
        Assert.True(IPAddress.IsLoopback(IPAddress.Parse(baseUrl.Host)), $"the Api listens on {baseUrl}");

        var work = Directory.CreateTempSubdirectory("orderpipeline-kiota-");
        try
        {
            using (var http = new HttpClient { BaseAddress = baseUrl })
            {
                await File.WriteAllTextAsync(
                    Path.Combine(work.FullName, "openapi.json"),
                    await http.GetStringAsync(OpenApiContract.DocumentPath, Cancellation),
                    Cancellation);
            }
            // From the repository, so that dotnet finds the tool manifest (.config/dotnet-tools.json).
            var generated = await RunAsync(RepositoryRoot.Path, TimeSpan.FromMinutes(2), "dotnet", "kiota", "generate", "--language", "CSharp",
                "--openapi", Path.Combine(work.FullName, "openapi.json"), "--output", Path.Combine(work.FullName, "Client"),
                "--namespace-name", "OrderPipeline.Client", "--class-name", "OrdersClient", "--exclude-backward-compatible", "--log-level", "Warning");
            Assert.True(generated.ExitCode == 0, $"kiota generate failed (run eng/setup.sh, which restores the local tools):\n{generated.Output}");

            await File.WriteAllTextAsync(Path.Combine(work.FullName, "Caller.csproj"), CallerProject, Cancellation);
            await File.WriteAllTextAsync(Path.Combine(work.FullName, "Program.cs"), CallerProgram, Cancellation);
            var customer = $"kiota-{Guid.NewGuid():N}"[..20];
            var run = await RunAsync(work.FullName, TimeSpan.FromMinutes(5), "dotnet", "run", "--project", Path.Combine(work.FullName, "Caller.csproj"), "--",
                baseUrl.ToString(), customer, product);
            TestContext.Current.TestOutputHelper?.WriteLine(run.Output);
            Assert.True(run.ExitCode == 0, $"the generated client's caller failed:\n{run.Output}");
            var steps = run.Output.Split('\n').Where(l => l.StartsWith("RESULT ", StringComparison.Ordinal))
                .Select(l => JsonNode.Parse(l["RESULT ".Length..])!.AsObject()).ToDictionary(s => (string)s["step"]!);

            // 202 and 200: typed models, one wire exchange each (nothing retried).
            var placed = Model(steps, "place", "PlaceOrderResponse", 202);
            var orderId = (string)placed["order_id"]!;
            Assert.True(Guid.TryParse(orderId, out _), orderId);
            Assert.Equal(OrderRules.AcceptedStatus, (string?)placed["status"]);
            var read = Model(steps, "read", "OrderView", 200);
            Assert.Equal(orderId, (string?)read["order_id"]);
            Assert.Equal(customer, (string?)read["customer_id"]);
            Assert.Equal("PROCESSED", (string?)read["status"]);
            Assert.Equal(product, (string?)read["items"]![0]!["product_id"]);
            Assert.Equal(2, (int)read["items"]![0]!["quantity"]!);
            Assert.NotNull((string?)read["processed_at"]);

            // Refusals: typed exceptions (the error models the document names), their message the problem's title.
            var invalid = Refusal(steps, "invalid", "HttpValidationProblemDetails", 400,
                OrderProblems.Invalid(new Dictionary<string, string[]>()).ProblemDetails.Title);
            Assert.Equal(["customer_id", "items"], invalid["errors"]!.AsObject().Select(e => e.Key).Order());
            Refusal(steps, "not-found", "ProblemDetails", 404, OrderProblems.NotFound(Guid.NewGuid()).ProblemDetails.Title);
            Refusal(steps, "too-large", "ProblemDetails", 413, OrderProblems.BodyTooLarge().ProblemDetails.Title);
            var reused = Refusal(steps, "key-reused", "OrderProblemDetails", 422,
                OrderProblems.IdempotencyKeyReused(new DefaultHttpContext(), orderId).ProblemDetails.Title);
            Assert.Equal(OrderProblems.IdempotencyKeyReusedType, (string?)reused["type"]);
            Assert.Equal(orderId, (string?)reused[OrderProblems.OrderIdExtension]);
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    private static JsonObject Model(Dictionary<string, JsonObject> steps, string step, string model, int status)
    {
        Assert.True(steps.TryGetValue(step, out var line), $"no result for {step}");
        Assert.True((string?)line!["model"] == model, $"{step}: expected a {model}, got {line.ToJsonString()}");
        Assert.Equal([status], line["wire"]!.AsArray().Select(s => (int)s!));
        return line["value"]!.AsObject();
    }

    private static JsonObject Refusal(Dictionary<string, JsonObject> steps, string step, string exception, int status, string? title)
    {
        Assert.True(steps.TryGetValue(step, out var line), $"no result for {step}");
        Assert.True((string?)line!["exception"] == exception, $"{step}: expected a {exception}, got {line.ToJsonString()}");
        Assert.Equal(status, (int)line["status"]!);
        Assert.Equal([status], line["wire"]!.AsArray().Select(s => (int)s!));
        var value = line["value"]!.AsObject();
        Assert.NotNull(title);
        Assert.Equal(title, (string?)value["title"]);
        Assert.Equal(title, (string?)line["message"]);
        Assert.NotNull((string?)value[OrderProblems.TraceIdExtension]);
        return value;
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string directory, TimeSpan limit, string program, params string[] arguments)
    {
        var startInfo = new ProcessStartInfo(program)
        {
            WorkingDirectory = directory,
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }
        // Kiota: no update check, no hints, no telemetry (nothing leaves the machine). The test host's MSBuild settings stay
        // out of the child's own build.
        startInfo.Environment["KIOTA_OFFLINE_ENABLED"] = "true";
        startInfo.Environment["KIOTA_TUTORIAL_ENABLED"] = "false";
        startInfo.Environment["KIOTA_CLI_TELEMETRY_OPTOUT"] = "true";
        startInfo.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        startInfo.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var name in startInfo.Environment.Keys
            .Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase) || k == "MSBUILD_EXE_PATH").ToList())
        {
            startInfo.Environment.Remove(name);
        }

        return await ChildProcess.RunAsync(startInfo, limit, Cancellation);
    }

    /// <summary>A standalone project: outside the repository, so none of its props or central package versions apply.</summary>
    private const string CallerProject = $$"""
        <Project Sdk="Microsoft.NET.Sdk">
          <PropertyGroup>
            <OutputType>Exe</OutputType>
            <TargetFramework>net10.0</TargetFramework>
            <Nullable>enable</Nullable>
            <ImplicitUsings>enable</ImplicitUsings>
            <ManagePackageVersionsCentrally>false</ManagePackageVersionsCentrally>
          </PropertyGroup>
          <ItemGroup>
            <!-- What a Kiota client needs (the generated client registers the JSON, text, form and multipart serializers). -->
            <PackageReference Include="Microsoft.Kiota.Abstractions" Version="{{KiotaLibraries}}" />
            <PackageReference Include="Microsoft.Kiota.Http.HttpClientLibrary" Version="{{KiotaLibraries}}" />
            <PackageReference Include="Microsoft.Kiota.Serialization.Json" Version="{{KiotaLibraries}}" />
            <PackageReference Include="Microsoft.Kiota.Serialization.Text" Version="{{KiotaLibraries}}" />
            <PackageReference Include="Microsoft.Kiota.Serialization.Form" Version="{{KiotaLibraries}}" />
            <PackageReference Include="Microsoft.Kiota.Serialization.Multipart" Version="{{KiotaLibraries}}" />
          </ItemGroup>
        </Project>
        """;

    private const string CallerProgram = """
        // Calls the Orders Api through the client Kiota generated from its OpenAPI document, as a client developer would
        // (Kiota's default handlers included), and prints one line per call: RESULT {"step", "wire": the statuses seen on the
        // wire, then "model" and its "value", or "exception", its "status", "message" and "value"}.
        using System.Text.Json.Nodes;
        using Microsoft.Kiota.Abstractions;
        using Microsoft.Kiota.Abstractions.Authentication;
        using Microsoft.Kiota.Abstractions.Serialization;
        using Microsoft.Kiota.Http.HttpClientLibrary;
        using OrderPipeline.Client;
        using OrderPipeline.Client.Models;

        var (baseUrl, customer, product) = (args[0], args[1], args[2]);
        var wire = new WireLog();
        var handlers = KiotaClientFactory.CreateDefaultHandlers();
        handlers.Add(wire);
        using var http = KiotaClientFactory.Create(handlers);
        var client = new OrdersClient(new HttpClientRequestAdapter(new AnonymousAuthenticationProvider(), httpClient: http) { BaseUrl = baseUrl });

        var key = Guid.NewGuid().ToString();
        PlaceOrderRequest Order(int quantity) => new() { CustomerId = customer, Items = [new OrderLine { ProductId = product, Quantity = quantity }] };

        var placed = await Step("place", () => client.Api.Orders.PostAsync(Order(2), c => c.Headers.Add("Idempotency-Key", key)));
        var orderId = placed?.OrderId ?? throw new InvalidOperationException("The 202 named no order.");

        // The Processor records the order shortly: until then the Api answers 404 order-not-recorded-yet (a typed error too).
        for (var deadline = DateTime.UtcNow.AddSeconds(60); ; await Task.Delay(200))
        {
            try
            {
                if ((await client.Api.Orders[orderId].GetAsync())?.Status != OrderStatus.PENDING || DateTime.UtcNow > deadline)
                {
                    break;
                }
            }
            catch (ProblemDetails problem) when (problem.ResponseStatusCode == 404
                && problem.Type?.EndsWith("#order-not-recorded-yet", StringComparison.Ordinal) == true
                && DateTime.UtcNow < deadline)
            {
            }
        }
        await Step("read", () => client.Api.Orders[orderId].GetAsync());

        await Step("invalid", () => client.Api.Orders.PostAsync(new PlaceOrderRequest { CustomerId = "", Items = [] }));
        await Step("not-found", () => client.Api.Orders[Guid.NewGuid()].GetAsync());
        await Step("too-large", () => client.Api.Orders.PostAsync(new PlaceOrderRequest
        {
            CustomerId = customer,
            Items = [.. Enumerable.Range(0, 50).Select(i => new OrderLine { ProductId = $"{i}-{new string('x', 400)}", Quantity = 1 })],
        }));
        await Step("key-reused", () => client.Api.Orders.PostAsync(Order(3), c => c.Headers.Add("Idempotency-Key", key)));

        async Task<T?> Step<T>(string name, Func<Task<T?>> call) where T : class, IParsable
        {
            wire.Statuses.Clear();
            var line = new JsonObject { ["step"] = name };
            T? result = null;
            try
            {
                result = await call();
                line["model"] = result?.GetType().Name;
                line["value"] = result is null ? null : JsonNode.Parse(await KiotaJsonSerializer.SerializeAsStringAsync(result));
            }
            catch (ApiException error)
            {
                line["exception"] = error.GetType().Name;
                line["status"] = error.ResponseStatusCode;
                line["message"] = error.Message;
                line["value"] = error is IParsable parsable ? JsonNode.Parse(await KiotaJsonSerializer.SerializeAsStringAsync(parsable)) : null;
            }
            line["wire"] = new JsonArray([.. wire.Statuses.Select(s => (JsonNode)s)]);
            Console.WriteLine("RESULT " + line.ToJsonString());
            return result;
        }

        /// <summary>The status of every response on the wire, retries included (it is the last handler before the network).</summary>
        sealed class WireLog : DelegatingHandler
        {
            public List<int> Statuses { get; } = [];

            protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
            {
                var response = await base.SendAsync(request, cancellationToken);
                Statuses.Add((int)response.StatusCode);
                return response;
            }
        }
        """;
}
