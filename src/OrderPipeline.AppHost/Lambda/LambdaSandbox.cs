using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;

namespace OrderPipeline.AppHost.Lambda;

/// <summary>
/// One execution environment of a function: its program as a process, reached over a Unix socket of its own (the
/// adapter's localhost port in AWS; a socket cannot collide with another sandbox's port), frozen with SIGSTOP between
/// invocations as Lambda freezes it.
/// </summary>
internal sealed partial class LambdaSandbox : IDisposable
{
    private const int SigStop = 19;
    private const int SigCont = 18;

    private readonly Process _process;
    private readonly string _socket;

    private LambdaSandbox(string id, Process process, string socket, LambdaExtensionsApi extensions)
    {
        Id = id;
        _process = process;
        _socket = socket;
        Extensions = extensions;
        Client = new HttpClient(new SocketsHttpHandler
        {
            ConnectCallback = async (_, cancellationToken) =>
            {
                var connection = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await connection.ConnectAsync(new UnixDomainSocketEndPoint(_socket), cancellationToken).ConfigureAwait(false);
                    return new NetworkStream(connection, ownsSocket: true);
                }
                catch
                {
                    connection.Dispose();
                    throw;
                }
            },
            // One invocation at a time: a connection is reused by the next one, as the adapter keeps its own.
            MaxConnectionsPerServer = 1,
        })
        {
            BaseAddress = new Uri("http://localhost"),
            // Each invocation has its own deadline (the function's timeout).
            Timeout = Timeout.InfiniteTimeSpan,
        };
    }

    public string Id { get; }

    public int ProcessId => _process.Id;

    /// <summary>The client that reaches the program, as the adapter does.</summary>
    public HttpClient Client { get; }

    public bool Frozen { get; private set; }

    /// <summary>The sandbox's Extensions API, which its program's extensions register with.</summary>
    public LambdaExtensionsApi Extensions { get; }

    public bool HasExited => _process.HasExited;

    /// <summary>When it last finished an invocation (or became ready).</summary>
    public DateTimeOffset IdleSince { get; set; }

    /// <summary>
    /// Starts the program with its Extensions API at <c>AWS_LAMBDA_RUNTIME_API</c> (the sandbox owns and ends it); its
    /// console goes to <paramref name="console"/>, each line marked with the sandbox.
    /// </summary>
    public static LambdaSandbox Start(string id, string program, string workingDirectory, string socketDirectory,
        IReadOnlyDictionary<string, string> environment, LambdaExtensionsApi extensions, ILogger console)
    {
        var socket = Path.Combine(socketDirectory, id + ".sock");
        File.Delete(socket);
        var start = new ProcessStartInfo(program)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment.Clear();
        foreach (var name in (string[])["PATH", "HOME", "DOTNET_ROOT", "TMPDIR", "LANG"])
        {
            if (System.Environment.GetEnvironmentVariable(name) is { } value)
            {
                start.Environment[name] = value;
            }
        }
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }
        start.Environment["ASPNETCORE_URLS"] = "http://unix:" + socket;
        start.Environment["AWS_LAMBDA_RUNTIME_API"] = extensions.Address;
        start.Environment["AWS_LAMBDA_LOG_STREAM_NAME"] = id;
        if (environment.ContainsKey("OTEL_RESOURCE_ATTRIBUTES"))
        {
            // Each sandbox is an instance of the function in the dashboard (Aspire's value is a template DCP fills in).
            start.Environment["OTEL_RESOURCE_ATTRIBUTES"] = "service.instance.id=" + id;
        }

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, line) => Write(console, id, line.Data, error: false);
        process.ErrorDataReceived += (_, line) => Write(console, id, line.Data, error: true);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new LambdaSandbox(id, process, socket, extensions);
    }

    /// <summary>Stops every thread of the program until <see cref="Thaw"/>: no timer, exporter or heartbeat runs.</summary>
    public void Freeze()
    {
        if (!Frozen && Signal(SigStop))
        {
            Frozen = true;
        }
    }

    public void Thaw()
    {
        if (Frozen)
        {
            Signal(SigCont);
            Frozen = false;
        }
    }

    /// <summary>Kills the program at once (a frozen one too), as Lambda ends a sandbox that timed out or is reclaimed.</summary>
    public void Dispose()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
            // A stopped process dies of SIGKILL too; continuing it only lets the kernel reap it sooner.
            Signal(SigCont);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        Client.Dispose();
        _process.Dispose();
        File.Delete(_socket);
        // Its extensions' calls for the next event end with the program; the server goes without waiting on them.
        _ = Extensions.DisposeAsync().AsTask()
            .ContinueWith(t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
    }

    private bool Signal(int signal)
    {
        try
        {
            return !_process.HasExited && Kill(_process.Id, signal) == 0;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private static void Write(ILogger console, string id, string? line, bool error)
    {
        if (line is null)
        {
            return;
        }
        if (error)
        {
            LogError(console, id, line);
        }
        else
        {
            LogOutput(console, id, line);
        }
    }

    [LoggerMessage(LogLevel.Information, "[{Sandbox}] {Line}")]
    private static partial void LogOutput(ILogger logger, string sandbox, string line);

    [LoggerMessage(LogLevel.Error, "[{Sandbox}] {Line}")]
    private static partial void LogError(ILogger logger, string sandbox, string line);

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
