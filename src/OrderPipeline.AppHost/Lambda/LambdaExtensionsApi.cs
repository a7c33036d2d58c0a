using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace OrderPipeline.AppHost.Lambda;

/// <summary>
/// The Lambda Extensions API of one sandbox, at the address its <c>AWS_LAMBDA_RUNTIME_API</c> names: extensions register
/// during init and then call for their next event. The sandbox's init is over, and after an invocation the sandbox may
/// be frozen, only once every registered extension is waiting for its next event (<see cref="AllWaitingAsync"/>).
/// Events: INVOKE; SHUTDOWN is accepted at registration and never sent (a sandbox here is killed, not shut down).
/// </summary>
internal sealed class LambdaExtensionsApi : IAsyncDisposable
{
    private const string Prefix = "/2020-01-01/extension/";
    private const string NameHeader = "Lambda-Extension-Name";
    private const string IdentifierHeader = "Lambda-Extension-Identifier";

    private readonly Lock _lock = new();
    private readonly Dictionary<string, Extension> _extensions = new(StringComparer.Ordinal);
    private readonly string _functionName;
    private readonly string _functionVersion;
    private TaskCompletionSource _changed = NewSignal();
    private bool _registrationClosed;
    private WebApplication? _server;

    private LambdaExtensionsApi(string functionName, string functionVersion)
    {
        _functionName = functionName;
        _functionVersion = functionVersion;
    }

    /// <summary>host:port, as Lambda sets <c>AWS_LAMBDA_RUNTIME_API</c>.</summary>
    public string Address { get; private set; } = "";

    /// <summary>How many extensions registered.</summary>
    public int Registered
    {
        get
        {
            lock (_lock)
            {
                return _extensions.Count;
            }
        }
    }

    /// <summary>Serves the API for one sandbox of <paramref name="functionName"/>, on a free loopback port.</summary>
    public static async Task<LambdaExtensionsApi> StartAsync(string functionName, string functionVersion, CancellationToken cancellationToken)
    {
        var api = new LambdaExtensionsApi(functionName, functionVersion);
        api._server = await LoopbackServer.StartAsync(0, api.HandleAsync, maxRequestBodySize: 64 * 1024, cancellationToken).ConfigureAwait(false);
        api.Address = "127.0.0.1:" + LoopbackServer.PortOf(api._server).ToString(CultureInfo.InvariantCulture);
        return api;
    }

    /// <summary>Ends the init phase: from now on a registration is refused, as Lambda refuses one after init.</summary>
    public void CloseRegistration()
    {
        lock (_lock)
        {
            _registrationClosed = true;
        }
    }

    /// <summary>Completes once every registered extension is waiting for its next event (at once when none registered).</summary>
    public async Task AllWaitingAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            Task changed;
            lock (_lock)
            {
                if (_extensions.Values.All(e => e.Waiting is not null))
                {
                    return;
                }
                changed = _changed.Task;
            }
            await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Sends INVOKE to every extension registered for it, before the invocation reaches the program.</summary>
    public void Invoke(string requestId, DateTimeOffset deadline)
    {
        var json = JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["eventType"] = "INVOKE",
            ["deadlineMs"] = deadline.ToUnixTimeMilliseconds(),
            ["requestId"] = requestId,
            ["invokedFunctionArn"] = LambdaContext.FunctionArn(_functionName),
        });
        lock (_lock)
        {
            foreach (var extension in _extensions.Values.Where(e => e.Events.Contains("INVOKE")))
            {
                if (extension.Waiting is { } waiting)
                {
                    extension.Waiting = null;
                    waiting.TrySetResult(json);
                }
                else
                {
                    extension.Pending.Enqueue(json);
                }
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        lock (_lock)
        {
            foreach (var extension in _extensions.Values)
            {
                extension.Waiting?.TrySetCanceled();
            }
        }
        if (_server is { } server)
        {
            _server = null;
            await LoopbackServer.StopAsync(server, TimeSpan.FromSeconds(1)).ConfigureAwait(false);
        }
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var path = request.Path.Value ?? "";
        if (request.Method == HttpMethods.Post && path == Prefix + "register")
        {
            await RegisterAsync(context).ConfigureAwait(false);
        }
        else if (request.Method == HttpMethods.Get && path == Prefix + "event/next")
        {
            await NextAsync(context).ConfigureAwait(false);
        }
        else if (request.Method == HttpMethods.Post && (path == Prefix + "init/error" || path == Prefix + "exit/error"))
        {
            // An extension reports that it failed; Lambda would reset the sandbox. The program's console shows why.
            context.Response.StatusCode = StatusCodes.Status202Accepted;
        }
        else
        {
            await ErrorAsync(context, StatusCodes.Status404NotFound, "InvalidRequest", $"No such route: {request.Method} {path}").ConfigureAwait(false);
        }
    }

    private async Task RegisterAsync(HttpContext context)
    {
        var name = context.Request.Headers[NameHeader].ToString();
        string[] events;
        try
        {
            using var body = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted).ConfigureAwait(false);
            events = [.. body.RootElement.GetProperty("events").EnumerateArray().Select(e => e.GetString() ?? "")];
        }
        catch (Exception exception) when (exception is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            await ErrorAsync(context, StatusCodes.Status400BadRequest, "InvalidRequest", "The body must name the events: {\"events\":[...]}")
                .ConfigureAwait(false);
            return;
        }
        if (name.Length == 0 || events.Any(e => e is not ("INVOKE" or "SHUTDOWN")))
        {
            await ErrorAsync(context, StatusCodes.Status400BadRequest, "InvalidRequest", "A name and events among INVOKE and SHUTDOWN are required.")
                .ConfigureAwait(false);
            return;
        }
        var id = Guid.NewGuid().ToString();
        lock (_lock)
        {
            if (_registrationClosed)
            {
                id = "";
            }
            else
            {
                _extensions[id] = new Extension([.. events]);
                Signal();
            }
        }
        if (id.Length == 0)
        {
            await ErrorAsync(context, StatusCodes.Status403Forbidden, "Extension.RegistrationClosed", "Extensions register during init only.")
                .ConfigureAwait(false);
            return;
        }
        context.Response.Headers[IdentifierHeader] = id;
        await context.Response.WriteAsJsonAsync(new { functionName = _functionName, functionVersion = _functionVersion, handler = "" },
            context.RequestAborted).ConfigureAwait(false);
    }

    private async Task NextAsync(HttpContext context)
    {
        var id = context.Request.Headers[IdentifierHeader].ToString();
        Task<string> next;
        lock (_lock)
        {
            if (!_extensions.TryGetValue(id, out var extension))
            {
                next = Task.FromResult("");
            }
            else if (extension.Pending.TryDequeue(out var pending))
            {
                next = Task.FromResult(pending);
            }
            else
            {
                var waiting = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
                extension.Waiting = waiting;
                next = waiting.Task;
                Signal();
            }
        }
        if (next.IsCompleted && next.Result.Length == 0)
        {
            await ErrorAsync(context, StatusCodes.Status403Forbidden, "Extension.UnknownExtensionIdentifier", "Register first.").ConfigureAwait(false);
            return;
        }
        string json;
        try
        {
            json = await next.WaitAsync(context.RequestAborted).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The sandbox ended, or the API is stopping.
            return;
        }
        context.Response.ContentType = "application/json";
        context.Response.Headers["Lambda-Extension-Event-Identifier"] = Guid.NewGuid().ToString();
        await context.Response.WriteAsync(json, context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>Wakes whoever waits in <see cref="AllWaitingAsync"/>; called under the lock.</summary>
    private void Signal()
    {
        var changed = _changed;
        _changed = NewSignal();
        changed.TrySetResult();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static Task ErrorAsync(HttpContext context, int status, string type, string message)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(new { errorMessage = message, errorType = type }, context.RequestAborted);
    }

    private sealed class Extension(HashSet<string> events)
    {
        public HashSet<string> Events { get; } = events;

        /// <summary>Its call for the next event, waiting; null while it works on the last one.</summary>
        public TaskCompletionSource<string>? Waiting { get; set; }

        /// <summary>Events sent while it was not waiting (it is given them on its next call).</summary>
        public Queue<string> Pending { get; } = new();
    }
}
