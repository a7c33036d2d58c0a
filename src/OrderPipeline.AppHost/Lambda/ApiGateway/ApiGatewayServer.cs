using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace OrderPipeline.AppHost.Lambda.ApiGateway;

/// <summary>The gateway's counts since it started, as the dashboard shows them.</summary>
internal readonly record struct ApiGatewayStatistics(long Requests, long ClientErrors, long ServerErrors, long Throttled);

/// <summary>
/// The HTTP API itself: a Kestrel server on a loopback port, in the AppHost's process, that answers as API Gateway does.
/// A request that matches no route is 404; a route over its throttling limits is 429; a route behind the JWT authorizer
/// without a valid token is 401; otherwise the request goes to the route's function as the Lambda Web Adapter hands it
/// to the program, with the payload 2.0 request context in <c>x-amzn-request-context</c>, and the function's response
/// comes back unchanged, or API Gateway's own error when the invocation failed.
/// </summary>
/// <remarks>
/// How an HTTP API answers when its Lambda integration fails (what <see cref="RelayAsync"/> does):
/// <list type="bullet">
/// <item>The invocation failed (an error the function reports, which the Web Adapter makes of a status in
/// <c>AWS_LWA_ERROR_STATUS_CODES</c>; the function's timeout; a crashed sandbox): 500 <c>{"message":"Internal Server
/// Error"}</c>. "My API with a Lambda integration returns {"message":"Internal Server Error"}" is the first issue of AWS's
/// page https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-troubleshooting-lambda.html, and AWS's own
/// emulator (aws/aws-lambda-dotnet, Tools/LambdaTestTool-v2, ApiGatewayEmulatorProcess) answers every function error of
/// an HTTP API that way.</item>
/// <item>Lambda throttled the invocation (the function's reserved concurrency is in use): also 500 Internal Server
/// Error, not Lambda's 429: https://repost.aws/knowledge-center/api-gateway-internal-server-error ("If the backend service
/// throttled ... the API Gateway API might return an Internal server error"), and a re:Post question on a proxy
/// integration that gives clients 500 where Lambda said 429.</item>
/// <item>The integration timeout passed (30 s at most for an HTTP API): 503 <c>{"message":"Service Unavailable"}</c>.
/// The knowledge-center page api-gateway-504-errors speaks of 504, but its text is about REST APIs ("Endpoint request
/// timed out"); users of HTTP APIs report 503 "Service Unavailable" when a function outlives the integration timeout
/// (sst issue 2232, whose Api construct is an HTTP API).</item>
/// </list>
/// Throttling by the gateway itself is 429 <c>{"message":"Too Many Requests"}</c>, an unknown route 404
/// <c>{"message":"Not Found"}</c>, a missing or rejected token 401 <c>{"message":"Unauthorized"}</c>, a payload over
/// 10 MB 413 <c>{"message":"Request Entity Too Large"}</c>. Every answer carries an <c>apigw-requestid</c> header.
/// </remarks>
internal sealed class ApiGatewayServer : IAsyncDisposable
{
    public const string RequestContextHeader = "x-amzn-request-context";
    public const string RequestIdHeader = "apigw-requestid";

    /// <summary>An HTTP API's payload limit.</summary>
    private const int MaxPayloadBytes = 10 * 1024 * 1024;

    /// <summary>Not forwarded either way: they describe one connection, or the body's framing, which the next hop redoes.</summary>
    private static readonly HashSet<string> HopByHop = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization", "Proxy-Connection", "TE", "Trailer",
        "Transfer-Encoding", "Upgrade", "Content-Length",
    };

    /// <summary>Set by API Gateway or the Web Adapter only: a client's own are dropped, so that it cannot forge claims.</summary>
    private static readonly HashSet<string> GatewayOnly = new(StringComparer.OrdinalIgnoreCase)
    {
        RequestContextHeader, "x-amzn-lambda-context", "x-forwarded-port", "x-forwarded-proto",
    };

    private readonly string _apiId;
    private readonly CompiledRoute[] _routes;
    private readonly ApiGatewayEmulatorOptions _options;
    private readonly Func<string, ILambdaInvoker> _invokerFor;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly JwtAuthorizer? _authorizer;
    private readonly CancellationTokenSource _stopping = new();
    private WebApplication? _app;
    private long _requests;
    private long _clientErrors;
    private long _serverErrors;
    private long _throttled;
    private int _disposed;

    /// <param name="apiId">The API's id in the request context (the resource's name).</param>
    /// <param name="routes">The routes; no other request is served.</param>
    /// <param name="options">The integration timeout and the authorizer.</param>
    /// <param name="invokerFor">The invoker of a function, by its resource name; asked at each request.</param>
    /// <param name="port">The loopback port to listen on.</param>
    /// <param name="logger">Where failed integrations are reported.</param>
    /// <param name="time">The clock of throttling, the integration timeout and the request context (tokens' lifetimes are checked
    /// against the system clock).</param>
    public ApiGatewayServer(string apiId, IReadOnlyList<ApiGatewayRoute> routes, ApiGatewayEmulatorOptions options,
        Func<string, ILambdaInvoker> invokerFor, int port, ILogger? logger = null, TimeProvider? time = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(apiId);
        ArgumentNullException.ThrowIfNull(routes);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(invokerFor);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(port);

        _apiId = apiId;
        _options = options;
        _invokerFor = invokerFor;
        _logger = logger ?? NullLogger.Instance;
        _time = time ?? TimeProvider.System;
        _routes = [.. routes.Select(route => new CompiledRoute(route, RouteTemplate.Parse(route.PathTemplate),
            route.Options is { ThrottlingRateLimit: { } rate, ThrottlingBurstLimit: { } burst } ? new TokenBucket(rate, burst, _time) : null))];
        _authorizer = string.IsNullOrEmpty(options.JwtIssuer) ? null : new JwtAuthorizer(options.JwtIssuer, options.JwtAudience);
        Port = port;
    }

    public int Port { get; }

    public Uri Url => new($"http://127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}");

    /// <summary>Whether the server has started listening and not stopped.</summary>
    public bool IsListening { get; private set; }

    public ApiGatewayStatistics Statistics => new(
        Interlocked.Read(ref _requests), Interlocked.Read(ref _clientErrors), Interlocked.Read(ref _serverErrors), Interlocked.Read(ref _throttled));

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed == 1, this);
        if (_app is not null)
        {
            throw new InvalidOperationException("The gateway has started already.");
        }
        var app = await LoopbackServer.StartAsync(Port, HandleAsync, MaxPayloadBytes, cancellationToken).ConfigureAwait(false);
        _app = app;
        IsListening = true;
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }
        IsListening = false;
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_app is { } app)
        {
            _app = null;
            await LoopbackServer.StopAsync(app, TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
        _stopping.Dispose();
    }

    private async Task HandleAsync(HttpContext context)
    {
        var requestId = NewRequestId();
        context.Response.Headers[RequestIdHeader] = requestId;
        Interlocked.Increment(ref _requests);
        try
        {
            await RouteAsync(context, requestId).ConfigureAwait(false);
        }
        finally
        {
            switch (context.Response.StatusCode)
            {
                case >= 400 and < 500:
                    Interlocked.Increment(ref _clientErrors);
                    break;
                case >= 500:
                    Interlocked.Increment(ref _serverErrors);
                    break;
            }
        }
    }

    private async Task RouteAsync(HttpContext context, string requestId)
    {
        var request = context.Request;
        var path = request.Path.HasValue ? request.Path.Value! : "/";
        var match = _routes
            .Where(r => string.Equals(r.Route.Method.Method, request.Method, StringComparison.OrdinalIgnoreCase) && r.Template.IsMatch(path))
            .MaxBy(r => r.Template.Specificity);
        if (match is null)
        {
            // As an HTTP API without a $default route or ANY routes: a known path with another method is no route either.
            await WriteMessageAsync(context, StatusCodes.Status404NotFound, "Not Found").ConfigureAwait(false);
            return;
        }
        if (match.Bucket is { } bucket && !bucket.TryTake())
        {
            Interlocked.Increment(ref _throttled);
            await WriteMessageAsync(context, StatusCodes.Status429TooManyRequests, "Too Many Requests").ConfigureAwait(false);
            return;
        }
        JwtAuthorization? authorization = null;
        if (_authorizer is not null && match.Route.Options.RequiresJwt)
        {
            authorization = await _authorizer.AuthorizeAsync(request.Headers.Authorization, context.RequestAborted).ConfigureAwait(false);
            if (authorization is null)
            {
                await WriteMessageAsync(context, StatusCodes.Status401Unauthorized, "Unauthorized").ConfigureAwait(false);
                return;
            }
        }
        byte[] body;
        try
        {
            body = await ReadBodyAsync(request, context.RequestAborted).ConfigureAwait(false);
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            await WriteMessageAsync(context, StatusCodes.Status413PayloadTooLarge, "Request Entity Too Large").ConfigureAwait(false);
            return;
        }
        var now = _time.GetUtcNow();
        var requestContext = ApiGatewayRequestContext.Create(context, _apiId, requestId, match.Route.RouteKey, now, authorization);
        var headers = ForwardedHeaders(context, requestContext, now);
        var target = context.Features.Get<IHttpRequestFeature>()?.RawTarget is { Length: > 0 } raw && raw[0] == '/' ? raw : path + request.QueryString;
        var invocation = new LambdaRequest(new HttpMethod(request.Method), target, headers, body);
        await RelayAsync(context, match.Route, invocation, requestId).ConfigureAwait(false);
    }

    private async Task RelayAsync(HttpContext context, ApiGatewayRoute route, LambdaRequest request, string requestId)
    {
        Task<LambdaInvocationResult> invocation;
        try
        {
            // Not the client's cancellation: in AWS the invocation runs on when the client goes away or the gateway
            // stops waiting. Only the gateway's stop ends it. A function that is not running (no invoker) is a 500.
            invocation = _invokerFor(route.Function.Name).InvokeAsync(request, _stopping.Token);
        }
        catch (Exception ex)
        {
            _logger.LogWarning("{RouteKey} ({RequestId}): could not invoke {Function}: {Message}", route.RouteKey, requestId, route.Function.Name, ex.Message);
            await WriteMessageAsync(context, StatusCodes.Status500InternalServerError, "Internal Server Error").ConfigureAwait(false);
            return;
        }

        LambdaInvocationResult result;
        try
        {
            result = await invocation.WaitAsync(_options.IntegrationTimeout, _time, context.RequestAborted).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            Observe(invocation);
            _logger.LogWarning("{RouteKey} ({RequestId}): {Function} did not answer within the integration timeout of {Timeout} s: 503",
                route.RouteKey, requestId, route.Function.Name, _options.IntegrationTimeout.TotalSeconds);
            await WriteMessageAsync(context, StatusCodes.Status503ServiceUnavailable, "Service Unavailable").ConfigureAwait(false);
            return;
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            Observe(invocation);
            return;   // the client has gone: nobody to answer
        }
        catch (Exception ex)
        {
            _logger.LogWarning("{RouteKey} ({RequestId}): the invocation of {Function} failed: {Message}",
                route.RouteKey, requestId, route.Function.Name, ex.Message);
            await WriteMessageAsync(context, StatusCodes.Status500InternalServerError, "Internal Server Error").ConfigureAwait(false);
            return;
        }

        if (result.Outcome != LambdaInvocationOutcome.Succeeded || result.StatusCode is < 100 or > 599)
        {
            _logger.LogWarning("{RouteKey} ({RequestId}): {Function} ended with {Outcome} (status {Status}): 500",
                route.RouteKey, requestId, route.Function.Name, result.Outcome, result.StatusCode);
            await WriteMessageAsync(context, StatusCodes.Status500InternalServerError, "Internal Server Error").ConfigureAwait(false);
            return;
        }
        var response = context.Response;
        response.StatusCode = result.StatusCode;
        foreach (var (name, value) in result.Headers)
        {
            if (!HopByHop.Contains(name) && !string.Equals(name, RequestIdHeader, StringComparison.OrdinalIgnoreCase))
            {
                response.Headers.Append(name, value);
            }
        }
        response.ContentLength = result.Body.Length;
        if (result.Body.Length > 0)
        {
            await response.Body.WriteAsync(result.Body, context.RequestAborted).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The client's headers as API Gateway forwards them (names in lower case, repeated ones joined with commas), with
    /// what API Gateway adds (<c>x-forwarded-*</c>, <c>x-amzn-trace-id</c> unless the client sent one) and what the Web
    /// Adapter adds (the request context). A client's <c>traceparent</c> goes on unchanged, so traces connect.
    /// </summary>
    private static List<KeyValuePair<string, string>> ForwardedHeaders(HttpContext context, string requestContext, DateTimeOffset now)
    {
        var headers = new List<KeyValuePair<string, string>>(context.Request.Headers.Count + 4);
        var sourceIp = ApiGatewayRequestContext.SourceIpOf(context);
        string? forwardedFor = null;
        var traced = false;
        foreach (var (name, values) in context.Request.Headers)
        {
            if (HopByHop.Contains(name) || GatewayOnly.Contains(name))
            {
                continue;
            }
            var lowerName = name.ToLowerInvariant();
            var value = string.Join(',', values.Where(v => v is not null));
            switch (lowerName)
            {
                case "x-forwarded-for":
                    forwardedFor = value;
                    continue;
                case "x-amzn-trace-id":
                    traced = true;
                    break;
            }
            headers.Add(new(lowerName, value));
        }
        headers.Add(new("x-forwarded-for", string.IsNullOrEmpty(forwardedFor) ? sourceIp : $"{forwardedFor}, {sourceIp}"));
        headers.Add(new("x-forwarded-port", context.Connection.LocalPort.ToString(CultureInfo.InvariantCulture)));
        headers.Add(new("x-forwarded-proto", context.Request.Scheme));
        if (!traced)
        {
            var epoch = now.ToUnixTimeSeconds().ToString("x8", CultureInfo.InvariantCulture);
            headers.Add(new("x-amzn-trace-id", $"Root=1-{epoch}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12))}"));
        }
        headers.Add(new(RequestContextHeader, requestContext));
        return headers;
    }

    private static async Task<byte[]> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength == 0)
        {
            return [];
        }
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
        return buffer.ToArray();
    }

    /// <summary>API Gateway's own answers: a JSON object with a message, as an HTTP API words them.</summary>
    private static async Task WriteMessageAsync(HttpContext context, int statusCode, string message)
    {
        var body = Encoding.UTF8.GetBytes($$"""{"message":"{{message}}"}""");
        context.Response.StatusCode = statusCode;
        context.Response.ContentType = "application/json";
        context.Response.ContentLength = body.Length;
        await context.Response.Body.WriteAsync(body, context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>An invocation the gateway stopped waiting for still ends some time: its failure must not go unobserved.</summary>
    private static void Observe(Task invocation) =>
        _ = invocation.ContinueWith(t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);

    /// <summary>An id like API Gateway's (<c>JKJaXmPLvHcESHA=</c>).</summary>
    private static string NewRequestId() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(10));

    private sealed record CompiledRoute(ApiGatewayRoute Route, RouteTemplate Template, TokenBucket? Bucket);
}
