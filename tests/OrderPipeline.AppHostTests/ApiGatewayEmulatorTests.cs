using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Aspire.Hosting;
using OrderPipeline.AppHost;
using Aspire.Hosting.ApplicationModel;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using OrderPipeline.AppHost.Lambda;
using OrderPipeline.AppHost.Lambda.ApiGateway;
using OrderPipeline.Testing;

namespace OrderPipeline.AppHostTests;

/// <summary>
/// The API gateway's server on a loopback port, in front of a fake function: what it forwards, what it relays, and what
/// it answers itself (404, 429, 401, and API Gateway's errors for failed invocations), as an HTTP API does.
/// </summary>
[Trait("Category", "Unit")]
public sealed class ApiGatewayEmulatorTests
{
    private static readonly LambdaFunctionResource Api = new("api", "OrderPipeline.Api", Path.GetTempPath(), new LambdaFunctionOptions());

    private static readonly ApiGatewayRoute CreateOrder = new(HttpMethod.Post, "/api/orders", Api, new ApiGatewayRouteOptions());
    private static readonly ApiGatewayRoute GetOrder = new(HttpMethod.Get, "/api/orders/{order_id}", Api, new ApiGatewayRouteOptions());

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_route_forwards_the_method_path_query_headers_and_body_and_relays_the_functions_response()
    {
        var function = new FakeFunction((_, _) => Task.FromResult(new LambdaInvocationResult(LambdaInvocationOutcome.Succeeded, 201,
            [new("Location", "/api/orders/42"), new("Set-Cookie", "a=1"), new("Set-Cookie", "b=2"), new("X-Custom", "yes"),
             new("Content-Type", "application/json"), new("Transfer-Encoding", "chunked")],
            Encoding.UTF8.GetBytes("""{"order_id":42}"""))));
        await using var gateway = await Gateway.StartAsync([CreateOrder, GetOrder], function);
        const string TraceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/orders?customer=c%201&x=1")
        {
            Content = new StringContent("""{"items":[]}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("traceparent", TraceParent);
        request.Headers.Add("X-Client", "one");
        request.Headers.Add("X-Forwarded-For", "203.0.113.7");

        using var response = await gateway.Client.SendAsync(request, Cancellation);

        var forwarded = Assert.Single(function.Requests);
        Assert.Equal(HttpMethod.Post, forwarded.Method);
        Assert.Equal("/api/orders?customer=c%201&x=1", forwarded.PathAndQuery);
        Assert.Equal("""{"items":[]}""", Encoding.UTF8.GetString(forwarded.Body));
        Assert.Equal(TraceParent, Header(forwarded, "traceparent"));
        Assert.Equal("one", Header(forwarded, "x-client"));
        Assert.Equal("application/json; charset=utf-8", Header(forwarded, "content-type"));
        Assert.Equal("203.0.113.7, 127.0.0.1", Header(forwarded, "x-forwarded-for"));
        Assert.StartsWith("Root=1-", Header(forwarded, "x-amzn-trace-id"), StringComparison.Ordinal);
        Assert.DoesNotContain(forwarded.Headers, h => h.Key.Equals("content-length", StringComparison.OrdinalIgnoreCase));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("/api/orders/42", response.Headers.Location?.OriginalString);
        Assert.Equal(["a=1", "b=2"], response.Headers.GetValues("Set-Cookie"));
        Assert.Equal("yes", Assert.Single(response.Headers.GetValues("X-Custom")));
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.NotEmpty(Assert.Single(response.Headers.GetValues(ApiGatewayServer.RequestIdHeader)));
        Assert.Equal("""{"order_id":42}""", await response.Content.ReadAsStringAsync(Cancellation));
    }

    [Theory]
    [InlineData("GET", "/api/order")]           // no such path
    [InlineData("GET", "/api/orders")]          // a route's path with another method
    [InlineData("DELETE", "/api/orders/42")]    // the same with a path parameter
    [InlineData("GET", "/api/orders/42/lines")] // a parameter takes one segment only
    [InlineData("GET", "/API/orders/42")]       // paths are case-sensitive
    [InlineData("GET", "/")]
    public async Task A_request_that_matches_no_route_is_404_not_found_and_never_reaches_the_function(string method, string path)
    {
        var function = FakeFunction.Answering(200, "{}");
        await using var gateway = await Gateway.StartAsync([CreateOrder, GetOrder], function);

        using var response = await gateway.Client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path), Cancellation);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("""{"message":"Not Found"}""", await response.Content.ReadAsStringAsync(Cancellation));
        Assert.Empty(function.Requests);
    }

    [Fact]
    public async Task The_request_context_names_the_route_key_the_stage_and_the_path_and_replaces_a_clients_own()
    {
        var function = FakeFunction.Answering(200, "{}");
        await using var gateway = await Gateway.StartAsync([CreateOrder, GetOrder], function);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/orders/42?verbose=true");
        // A client that forges the context the Api trusts in AWS: the gateway's own takes its place.
        request.Headers.Add(ApiGatewayServer.RequestContextHeader, """{"authorizer":{"jwt":{"claims":{"sub":"someone-else"}}}}""");
        request.Headers.UserAgent.Add(new ProductInfoHeaderValue("tests", "1.0"));

        using var response = await gateway.Client.SendAsync(request, Cancellation);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var forwarded = Assert.Single(function.Requests);
        var header = Assert.Single(forwarded.Headers, h => h.Key.Equals(ApiGatewayServer.RequestContextHeader, StringComparison.OrdinalIgnoreCase));
        using var context = JsonDocument.Parse(header.Value);
        var root = context.RootElement;
        Assert.Equal("GET /api/orders/{order_id}", root.GetProperty("routeKey").GetString());
        Assert.Equal("$default", root.GetProperty("stage").GetString());
        Assert.Equal("gateway", root.GetProperty("apiId").GetString());
        Assert.Equal("GET", root.GetProperty("http").GetProperty("method").GetString());
        Assert.Equal("/api/orders/42", root.GetProperty("http").GetProperty("path").GetString());
        Assert.Equal("HTTP/1.1", root.GetProperty("http").GetProperty("protocol").GetString());
        Assert.Equal("127.0.0.1", root.GetProperty("http").GetProperty("sourceIp").GetString());
        Assert.Equal("tests/1.0", root.GetProperty("http").GetProperty("userAgent").GetString());
        Assert.Equal(Assert.Single(response.Headers.GetValues(ApiGatewayServer.RequestIdHeader)), root.GetProperty("requestId").GetString());
        Assert.True(root.GetProperty("timeEpoch").GetInt64() > 0);
        Assert.False(root.TryGetProperty("authorizer", out _));
        Assert.Equal("/api/orders/42?verbose=true", forwarded.PathAndQuery);
    }

    [Fact]
    public async Task A_route_over_its_burst_is_429_until_its_token_bucket_refills()
    {
        var time = new FakeTimeProvider();
        var function = FakeFunction.Answering(200, "{}");
        var throttled = CreateOrder with { Options = new ApiGatewayRouteOptions { ThrottlingRateLimit = 1, ThrottlingBurstLimit = 2 } };
        await using var gateway = await Gateway.StartAsync([throttled, GetOrder], function, time: time);

        var first = await PostAsync(gateway);
        var second = await PostAsync(gateway);
        var third = await PostAsync(gateway);
        var otherRoute = (await gateway.Client.GetAsync("/api/orders/1", Cancellation)).StatusCode;
        time.Advance(TimeSpan.FromSeconds(1));
        var afterOneSecond = await PostAsync(gateway);
        var rightAfter = await PostAsync(gateway);
        time.Advance(TimeSpan.FromSeconds(2));
        var afterTwoMore = await PostAsync(gateway);

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (first.Status, second.Status));
        Assert.Equal((HttpStatusCode.TooManyRequests, """{"message":"Too Many Requests"}"""), third);
        Assert.Equal(HttpStatusCode.OK, otherRoute);   // throttling is per route
        Assert.Equal(HttpStatusCode.OK, afterOneSecond.Status);
        Assert.Equal(HttpStatusCode.TooManyRequests, rightAfter.Status);
        Assert.Equal(HttpStatusCode.OK, afterTwoMore.Status);
        Assert.Equal(5, function.Requests.Count);
        Assert.Equal(new ApiGatewayStatistics(Requests: 7, ClientErrors: 2, ServerErrors: 0, Throttled: 2), gateway.Server.Statistics);

        static async Task<(HttpStatusCode Status, string Body)> PostAsync(Gateway gateway)
        {
            using var response = await gateway.Client.PostAsync("/api/orders", new StringContent("{}"), Cancellation);
            return (response.StatusCode, await response.Content.ReadAsStringAsync(Cancellation));
        }
    }

    [Theory]
    [InlineData(nameof(LambdaInvocationOutcome.FunctionError), 502)]   // a status in AWS_LWA_ERROR_STATUS_CODES: an invocation error
    [InlineData(nameof(LambdaInvocationOutcome.TimedOut), 0)]
    [InlineData(nameof(LambdaInvocationOutcome.Crashed), 0)]
    [InlineData(nameof(LambdaInvocationOutcome.Throttled), 0)]
    public async Task A_failed_invocation_is_api_gateways_500_internal_server_error(string outcome, int functionStatus)
    {
        var function = new FakeFunction((_, _) => Task.FromResult(new LambdaInvocationResult(Enum.Parse<LambdaInvocationOutcome>(outcome), functionStatus,
            [new("X-From-Function", "yes")], Encoding.UTF8.GetBytes("""{"detail":"the function's own"}"""))));
        await using var gateway = await Gateway.StartAsync([CreateOrder], function);

        using var response = await gateway.Client.PostAsync("/api/orders", new StringContent("{}"), Cancellation);

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal("""{"message":"Internal Server Error"}""", await response.Content.ReadAsStringAsync(Cancellation));
        Assert.False(response.Headers.Contains("X-From-Function"));
        Assert.Single(function.Requests);
        Assert.Equal(1, gateway.Server.Statistics.ServerErrors);
    }

    [Fact]
    public async Task A_5xx_the_function_answers_itself_reaches_the_client_unchanged()
    {
        // The Api has no AWS_LWA_ERROR_STATUS_CODES: its own 503 with Retry-After is a successful invocation.
        var function = new FakeFunction((_, _) => Task.FromResult(new LambdaInvocationResult(LambdaInvocationOutcome.Succeeded, 503,
            [new("Retry-After", "2"), new("Content-Type", "application/problem+json")], Encoding.UTF8.GetBytes("""{"title":"busy"}"""))));
        await using var gateway = await Gateway.StartAsync([CreateOrder], function);

        using var response = await gateway.Client.PostAsync("/api/orders", new StringContent("{}"), Cancellation);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(2), response.Headers.RetryAfter?.Delta);
        Assert.Equal("""{"title":"busy"}""", await response.Content.ReadAsStringAsync(Cancellation));
    }

    [Fact]
    public async Task A_function_that_has_not_answered_when_the_integration_timeout_passes_gives_503_service_unavailable()
    {
        var time = new ObservedTime(new FakeTimeProvider());
        var invocationCancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var function = new FakeFunction(async (_, cancellationToken) =>
        {
            await using var registration = cancellationToken.Register(() => invocationCancelled.TrySetResult());
            await Task.Delay(Timeout.Infinite, cancellationToken);
            throw new InvalidOperationException("unreachable");
        });
        var options = new ApiGatewayEmulatorOptions { IntegrationTimeout = TimeSpan.FromSeconds(30) };
        await using var gateway = await Gateway.StartAsync([CreateOrder], function, options, time);

        var response = gateway.Client.PostAsync("/api/orders", new StringContent("{}"), Cancellation);
        await time.TimerCreated.WaitAsync(TimeSpan.FromSeconds(30), Cancellation);   // the gateway waits for the function
        time.Fake.Advance(TimeSpan.FromSeconds(29.9));
        var answeredEarly = response.IsCompleted;
        time.Fake.Advance(TimeSpan.FromSeconds(0.1));
        using var answer = await response;

        Assert.False(answeredEarly);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, answer.StatusCode);
        Assert.Equal("""{"message":"Service Unavailable"}""", await answer.Content.ReadAsStringAsync(Cancellation));
        // As in AWS, the gateway giving up does not end the invocation: only the gateway's stop does.
        Assert.False(invocationCancelled.Task.IsCompleted);
        await gateway.DisposeAsync();
        await invocationCancelled.Task.WaitAsync(TimeSpan.FromSeconds(30), Cancellation);
    }

    [Fact]
    public async Task A_function_that_is_not_running_gives_500_internal_server_error()
    {
        var port = LoopbackPort.PickFree();
        await using var server = new ApiGatewayServer("gateway", [CreateOrder], new ApiGatewayEmulatorOptions(),
            name => new LambdaFunctions().InvokerFor(Api), port);
        await server.StartAsync(Cancellation);
        using var client = new HttpClient { BaseAddress = server.Url };

        using var response = await client.PostAsync("/api/orders", new StringContent("{}"), Cancellation);

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal("""{"message":"Internal Server Error"}""", await response.Content.ReadAsStringAsync(Cancellation));
    }

    [Fact]
    public async Task With_an_issuer_a_request_without_a_token_is_401_and_never_reaches_the_function()
    {
        await using var issuer = await TestIssuer.StartAsync();
        var function = FakeFunction.Answering(200, "{}");
        var open = GetOrder with { Options = new ApiGatewayRouteOptions { RequiresJwt = false } };
        await using var gateway = await Gateway.StartAsync([CreateOrder, open], function, issuer.GatewayOptions);

        using var withoutToken = await gateway.Client.PostAsync("/api/orders", new StringContent("{}"), Cancellation);
        using var withGarbage = new HttpRequestMessage(HttpMethod.Post, "/api/orders") { Content = new StringContent("{}") };
        withGarbage.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "not-a-jwt");
        using var garbage = await gateway.Client.SendAsync(withGarbage, Cancellation);
        using var openRoute = await gateway.Client.GetAsync("/api/orders/42", Cancellation);

        Assert.Equal(HttpStatusCode.Unauthorized, withoutToken.StatusCode);
        Assert.Equal("""{"message":"Unauthorized"}""", await withoutToken.Content.ReadAsStringAsync(Cancellation));
        Assert.Equal(HttpStatusCode.Unauthorized, garbage.StatusCode);
        Assert.Equal(HttpStatusCode.OK, openRoute.StatusCode);   // a route without the authorizer
        Assert.Equal("/api/orders/42", Assert.Single(function.Requests).PathAndQuery);
    }

    [Fact]
    public async Task With_an_issuer_a_token_signed_with_its_key_passes_and_its_claims_go_in_the_request_context()
    {
        await using var issuer = await TestIssuer.StartAsync();
        var function = FakeFunction.Answering(201, "{}");
        await using var gateway = await Gateway.StartAsync([CreateOrder], function, issuer.GatewayOptions);
        var token = issuer.CreateToken(new Dictionary<string, object> { ["sub"] = "customer-7", ["scope"] = "orders:write orders:read" });

        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/orders") { Content = new StringContent("{}") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await gateway.Client.SendAsync(request, Cancellation);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var forwarded = Assert.Single(function.Requests);
        Assert.Equal($"Bearer {token}", Header(forwarded, "authorization"));   // API Gateway forwards the header too
        using var context = JsonDocument.Parse(Header(forwarded, ApiGatewayServer.RequestContextHeader));
        var jwt = context.RootElement.GetProperty("authorizer").GetProperty("jwt");
        var claims = jwt.GetProperty("claims");
        Assert.Equal("customer-7", claims.GetProperty("sub").GetString());
        Assert.Equal(TestIssuer.Audience, claims.GetProperty("aud").GetString());
        Assert.Equal(issuer.Issuer, claims.GetProperty("iss").GetString());
        Assert.Equal(JsonValueKind.String, claims.GetProperty("exp").ValueKind);   // every claim is a string, as API Gateway passes them
        Assert.Equal(["orders:write", "orders:read"], jwt.GetProperty("scopes").EnumerateArray().Select(s => s.GetString()));
    }

    [Theory]
    [InlineData("another key")]
    [InlineData("expired")]
    [InlineData("another audience")]
    [InlineData("another issuer")]
    public async Task With_an_issuer_a_token_it_did_not_sign_for_this_api_or_that_expired_is_401(string flaw)
    {
        await using var issuer = await TestIssuer.StartAsync();
        var function = FakeFunction.Answering(201, "{}");
        await using var gateway = await Gateway.StartAsync([CreateOrder], function, issuer.GatewayOptions);
        var claims = new Dictionary<string, object> { ["sub"] = "customer-7" };
        var token = flaw switch
        {
            "another key" => issuer.CreateToken(claims, key: new RsaSecurityKey(RSA.Create(2048)) { KeyId = issuer.KeyId }),
            "expired" => issuer.CreateToken(claims, expires: DateTime.UtcNow.AddMinutes(-1)),
            "another audience" => issuer.CreateToken(claims, audience: "someone-else"),
            "another issuer" => issuer.CreateToken(claims, issuerName: issuer.Issuer + "/other"),
            _ => throw new ArgumentOutOfRangeException(nameof(flaw)),
        };

        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/orders") { Content = new StringContent("{}") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await gateway.Client.SendAsync(request, Cancellation);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("""{"message":"Unauthorized"}""", await response.Content.ReadAsStringAsync(Cancellation));
        Assert.Empty(function.Requests);
    }

    [Fact]
    public void The_resource_listens_on_loopback_waits_for_each_of_its_functions_and_is_checked_for_health()
    {
        // The model only: nothing is built or started.
        var builder = DistributedApplication.CreateBuilder(new DistributedApplicationOptions
        {
            Args = [],
            AssemblyName = typeof(ApiGatewayEmulatorResource).Assembly.GetName().Name,
            DisableDashboard = true,
        });
        var api = builder.AddResource(new LambdaFunctionResource("api", "OrderPipeline.Api", Path.GetTempPath(), new LambdaFunctionOptions()));
        var other = builder.AddResource(new LambdaFunctionResource("other", "Other", Path.GetTempPath(), new LambdaFunctionOptions()));

        var gateway = builder.AddApiGatewayEmulator("gateway", port: 18123)
            .WithRoute(api, HttpMethod.Post, "/api/orders", new ApiGatewayRouteOptions { ThrottlingRateLimit = 50, ThrottlingBurstLimit = 100 })
            .WithRoute(api, HttpMethod.Get, "/api/orders/{order_id}")
            .WithRoute(other, HttpMethod.Get, "/other/{proxy+}");
        var chosen = builder.AddApiGatewayEmulator("chosen");

        var endpoint = Assert.Single(gateway.Resource.Annotations.OfType<EndpointAnnotation>());
        Assert.Equal(("http", "http", 18123, 18123, false), (endpoint.Name, endpoint.UriScheme, endpoint.Port, endpoint.TargetPort, endpoint.IsProxied));
        var chosenEndpoint = Assert.Single(chosen.Resource.Annotations.OfType<EndpointAnnotation>());
        Assert.NotNull(chosenEndpoint.Port);
        Assert.Equal(chosenEndpoint.Port, chosenEndpoint.TargetPort);
        Assert.Equal(["api", "other"], gateway.Resource.Annotations.OfType<WaitAnnotation>().Select(w => w.Resource.Name));
        Assert.Equal("gateway_check", Assert.Single(gateway.Resource.Annotations.OfType<HealthCheckAnnotation>()).Key);
        Assert.Equal(["POST /api/orders", "GET /api/orders/{order_id}", "GET /other/{proxy+}"], gateway.Resource.Routes.Select(r => r.RouteKey));
        Assert.Equal(TimeSpan.FromSeconds(30), gateway.Resource.Options.IntegrationTimeout);
        Assert.Null(gateway.Resource.Options.JwtIssuer);

        Assert.Throws<ArgumentException>(() => gateway.WithRoute(api, HttpMethod.Post, "/api/orders"));
        Assert.Throws<ArgumentException>(() => gateway.WithRoute(api, HttpMethod.Put, "/api/orders/{order_id"));
        Assert.Throws<ArgumentException>(() => gateway.WithRoute(api, HttpMethod.Put, "/api/{rest+}/orders"));
        Assert.Throws<ArgumentException>(() => gateway.WithRoute(api, HttpMethod.Put, "/x", new ApiGatewayRouteOptions { ThrottlingRateLimit = 1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => builder.AddApiGatewayEmulator(
            "slow", options: new ApiGatewayEmulatorOptions { IntegrationTimeout = TimeSpan.FromSeconds(31) }));
    }

    [Theory]
    [InlineData("/api/orders/{order_id}", "/api/orders/42", true)]
    [InlineData("/api/orders/{order_id}", "/api/orders/", false)]
    [InlineData("/api/orders/{order_id}", "/api/orders", false)]
    [InlineData("/api/orders", "/api/orders/", false)]
    [InlineData("/other/{proxy+}", "/other/a/b/c", true)]
    [InlineData("/other/{proxy+}", "/other", false)]
    [InlineData("/", "/", true)]
    [InlineData("/", "/x", false)]
    public void A_path_template_matches_as_an_http_api_matches_it(string template, string path, bool matches) =>
        Assert.Equal(matches, RouteTemplate.Parse(template).IsMatch(path));

    [Fact]
    public async Task The_most_specific_route_takes_a_path_several_match()
    {
        var greedy = new FakeFunction((_, _) =>
            Task.FromResult(new LambdaInvocationResult(LambdaInvocationOutcome.Succeeded, 200, [], "greedy"u8.ToArray())));
        var other = new LambdaFunctionResource("other", "Other", Path.GetTempPath(), new LambdaFunctionOptions());
        var routes = new[]
        {
            new ApiGatewayRoute(HttpMethod.Get, "/api/{proxy+}", other, new ApiGatewayRouteOptions()),
            GetOrder,
            new ApiGatewayRoute(HttpMethod.Get, "/api/orders/latest", other, new ApiGatewayRouteOptions()),
        };
        var byRoute = FakeFunction.Answering(200, "{}");
        await using var gateway = await Gateway.StartAsync(routes, byRoute, invokerFor: name => name == "other" ? greedy : byRoute);

        var latest = await gateway.Client.GetStringAsync("/api/orders/latest", Cancellation);
        var order = await gateway.Client.GetStringAsync("/api/orders/42", Cancellation);
        var rest = await gateway.Client.GetStringAsync("/api/products/1", Cancellation);

        Assert.Equal(("greedy", "{}", "greedy"), (latest, order, rest));
        Assert.Equal(["/api/orders/latest", "/api/products/1"], greedy.Requests.Select(r => r.PathAndQuery));
    }

    private static string Header(LambdaRequest request, string name) =>
        Assert.Single(request.Headers, h => h.Key.Equals(name, StringComparison.OrdinalIgnoreCase)).Value;

    /// <summary>A gateway server on a free loopback port and a client for it.</summary>
    private sealed class Gateway : IAsyncDisposable
    {
        private Gateway(ApiGatewayServer server)
        {
            Server = server;
            Client = new HttpClient { BaseAddress = server.Url };
        }

        public ApiGatewayServer Server { get; }

        public HttpClient Client { get; }

        public static async Task<Gateway> StartAsync(IReadOnlyList<ApiGatewayRoute> routes, FakeFunction function,
            ApiGatewayEmulatorOptions? options = null, TimeProvider? time = null, Func<string, ILambdaInvoker>? invokerFor = null)
        {
            var server = new ApiGatewayServer("gateway", routes, options ?? new ApiGatewayEmulatorOptions(), invokerFor ?? (_ => function),
                LoopbackPort.PickFree(), time: time);
            await server.StartAsync(Cancellation);
            return new Gateway(server);
        }

        public async ValueTask DisposeAsync()
        {
            Client.Dispose();
            await Server.DisposeAsync();
        }
    }

    /// <summary>The function behind the gateway: answers as it is told and keeps what it was sent.</summary>
    private sealed class FakeFunction(Func<LambdaRequest, CancellationToken, Task<LambdaInvocationResult>> answer) : ILambdaInvoker
    {
        private readonly List<LambdaRequest> _requests = [];

        public string FunctionName => "api";

        public string PassThroughPath => "/events";

        public IReadOnlyList<LambdaRequest> Requests
        {
            get
            {
                lock (_requests)
                {
                    return [.. _requests];
                }
            }
        }

        public static FakeFunction Answering(int status, string body) => new((_, _) => Task.FromResult(
            new LambdaInvocationResult(LambdaInvocationOutcome.Succeeded, status, [new("Content-Type", "application/json")], Encoding.UTF8.GetBytes(body))));

        public Task<LambdaInvocationResult> InvokeAsync(LambdaRequest request, CancellationToken cancellationToken)
        {
            lock (_requests)
            {
                _requests.Add(request);
            }
            return answer(request, cancellationToken);
        }
    }

    /// <summary>A fake clock that says when a timer is set on it: the gateway's integration timeout has started.</summary>
    private sealed class ObservedTime(FakeTimeProvider fake) : TimeProvider
    {
        private readonly TaskCompletionSource _timerCreated = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public FakeTimeProvider Fake => fake;

        public Task TimerCreated => _timerCreated.Task;

        public override long TimestampFrequency => fake.TimestampFrequency;

        public override DateTimeOffset GetUtcNow() => fake.GetUtcNow();

        public override long GetTimestamp() => fake.GetTimestamp();

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            var timer = fake.CreateTimer(callback, state, dueTime, period);
            _timerCreated.TrySetResult();
            return timer;
        }
    }

    /// <summary>
    /// An OpenID Connect issuer on a loopback port: its discovery document and JWKS (one RSA key), and tokens signed with
    /// that key.
    /// </summary>
    private sealed class TestIssuer : IAsyncDisposable
    {
        public const string Audience = "orderpipeline-api";

        private readonly WebApplication _app;
        private readonly RsaSecurityKey _key;

        private TestIssuer(WebApplication app, RsaSecurityKey key, string issuer)
        {
            _app = app;
            _key = key;
            Issuer = issuer;
        }

        public string Issuer { get; }

        public string KeyId => _key.KeyId;

        public ApiGatewayEmulatorOptions GatewayOptions => new() { JwtIssuer = Issuer, JwtAudience = Audience };

        public static async Task<TestIssuer> StartAsync()
        {
            var port = LoopbackPort.PickFree();
            var issuer = $"http://127.0.0.1:{port}/issuer";
            var key = new RsaSecurityKey(RSA.Create(2048)) { KeyId = "key-1" };
            var parameters = key.Rsa.ExportParameters(includePrivateParameters: false);
            var discovery = JsonSerializer.Serialize(new Dictionary<string, object>
            {
                ["issuer"] = issuer,
                ["jwks_uri"] = $"{issuer}/jwks",
                ["id_token_signing_alg_values_supported"] = new[] { "RS256" },
            });
            var jwks = JsonSerializer.Serialize(new
            {
                keys = new[]
                {
                    new Dictionary<string, string>
                    {
                        ["kty"] = "RSA", ["use"] = "sig", ["alg"] = "RS256", ["kid"] = key.KeyId,
                        ["n"] = Base64UrlEncoder.Encode(parameters.Modulus), ["e"] = Base64UrlEncoder.Encode(parameters.Exponent),
                    },
                },
            });

            var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
            builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port));
            var app = builder.Build();
            app.Run(context =>
            {
                var body = context.Request.Path.Value switch
                {
                    "/issuer/.well-known/openid-configuration" => discovery,
                    "/issuer/jwks" => jwks,
                    _ => null,
                };
                context.Response.StatusCode = body is null ? StatusCodes.Status404NotFound : StatusCodes.Status200OK;
                context.Response.ContentType = "application/json";
                return context.Response.WriteAsync(body ?? "{}");
            });
            await app.StartAsync(Cancellation);
            return new TestIssuer(app, key, issuer);
        }

        public string CreateToken(Dictionary<string, object> claims, SecurityKey? key = null, DateTime? expires = null,
            string audience = Audience, string? issuerName = null)
        {
            var now = DateTime.UtcNow;
            return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
            {
                Issuer = issuerName ?? Issuer,
                Audience = audience,
                Claims = claims,
                IssuedAt = (expires ?? now.AddHours(1)).AddHours(-1),
                NotBefore = (expires ?? now.AddHours(1)).AddHours(-1),
                Expires = expires ?? now.AddHours(1),
                SigningCredentials = new SigningCredentials(key ?? _key, SecurityAlgorithms.RsaSha256),
            });
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync(Cancellation);
            await _app.DisposeAsync();
            _key.Rsa.Dispose();
        }
    }
}
