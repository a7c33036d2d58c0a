using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace OrderPipeline.Aws.Lambda;

/// <summary>
/// An internal Lambda extension that holds the sandbox's freeze until the invocation's telemetry is sent. A frozen
/// sandbox runs no exporter timer, so without it an invocation's spans and logs would wait in memory for the next
/// thaw (or die with the sandbox). It registers for INVOKE during init (before the Web Adapter's readiness check
/// passes, while registration is still open), and on each event waits for the program's answer, flushes, and asks
/// for the next event, which is what lets Lambda freeze the sandbox.
/// </summary>
public sealed partial class TelemetryFlushExtension(
    IConfiguration configuration, LambdaInvocations invocations, ITelemetryFlush telemetry, ILogger<TelemetryFlushExtension> logger)
    : IHostedService, IDisposable
{
    /// <summary>The name it registers under.</summary>
    public const string Name = "orderpipeline-telemetry";

    // Registration happens once, during init; a runtime API that does not answer by then is not one to wait on.
    private static readonly TimeSpan RegisterTimeout = TimeSpan.FromSeconds(5);

    // The flush never takes the invocation's whole remaining time: a slow collector costs telemetry, not the invocation.
    private static readonly TimeSpan MaxFlush = TimeSpan.FromSeconds(2);

    private readonly CancellationTokenSource _stopping = new();
    private LambdaExtensionsClient? _client;
    private Task? _loop;
    private bool _disposed;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (configuration["AWS_LAMBDA_RUNTIME_API"] is not { Length: > 0 } runtimeApi)
        {
            return;
        }
        _client = new LambdaExtensionsClient(runtimeApi);
        string id;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(RegisterTimeout);
            id = await _client.RegisterAsync(Name, [LambdaExtensionEvent.Invoke], timeout.Token).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is HttpRequestException or OperationCanceledException or InvalidOperationException)
        {
            // Telemetry is best effort: the program serves without it, its exporters sending whenever it is thawed.
            LogNotRegistered(logger, exception.Message);
            return;
        }
        // Hosted services start in order, so OpenTelemetry's (added before this one) has built the tracer provider.
        invocations.StartTracking();
        _loop = Task.Run(() => RunAsync(_client, id, _stopping.Token), CancellationToken.None);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // A host disposed before it was stopped (a test server's) has already ended the loop.
        if (_disposed)
        {
            return;
        }
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_loop is { } loop)
        {
            await loop.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        _stopping.Cancel();
        _stopping.Dispose();
        _client?.Dispose();
    }

    private async Task RunAsync(LambdaExtensionsClient client, string id, CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            LambdaExtensionEvent next;
            try
            {
                next = await client.NextAsync(id, stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception) when (exception is HttpRequestException or System.Text.Json.JsonException)
            {
                LogNextFailed(logger, exception.Message);
                await Task.Delay(TimeSpan.FromSeconds(1), stopping).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                continue;
            }

            var left = next.Deadline - DateTimeOffset.UtcNow;
            if (next.EventType == LambdaExtensionEvent.Invoke && next.RequestId is { } requestId)
            {
                using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stopping);
                deadline.CancelAfter(left > TimeSpan.Zero ? left : TimeSpan.Zero);
                try
                {
                    await invocations.WaitAnsweredAsync(requestId, deadline.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
                {
                    // Past the deadline: Lambda is ending the invocation; send what there is.
                }
            }
            left = next.Deadline - DateTimeOffset.UtcNow;
            telemetry.Flush(left < MaxFlush ? (left > TimeSpan.Zero ? left : TimeSpan.FromMilliseconds(100)) : MaxFlush);
            if (next.EventType == LambdaExtensionEvent.Shutdown)
            {
                return;
            }
        }
    }

    [LoggerMessage(LogLevel.Warning,
        "The telemetry extension could not register with the Lambda Extensions API ({Reason}): telemetry is sent while the sandbox is thawed only")]
    private static partial void LogNotRegistered(ILogger logger, string reason);

    [LoggerMessage(LogLevel.Warning, "The telemetry extension's call for the next event failed ({Reason}); calling again")]
    private static partial void LogNextFailed(ILogger logger, string reason);
}
