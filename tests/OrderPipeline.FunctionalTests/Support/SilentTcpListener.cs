using System.Net;
using System.Net.Sockets;

namespace OrderPipeline.FunctionalTests.Support;

/// <summary>
/// A TCP endpoint on loopback that accepts connections, reads what is sent and never answers: to a client, a request
/// that went out and whose answer never came (the case where SQS may have stored a message that timed out).
/// </summary>
public sealed class SilentTcpListener : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Socket> _accepted = [];
    private readonly Task _accepting;

    public SilentTcpListener()
    {
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public Uri Url => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}");

    /// <summary>How many connections were accepted: more than zero proves a request went out.</summary>
    public int Connections { get { lock (_accepted) { return _accepted.Count; } } }

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var socket = await _listener.AcceptSocketAsync(_stop.Token);
                lock (_accepted)
                {
                    _accepted.Add(socket);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        lock (_accepted)
        {
            _accepted.ForEach(s => s.Dispose());
        }
        _stop.Dispose();
    }
}
