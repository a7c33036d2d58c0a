using System.Net;
using System.Net.Sockets;

namespace OrderPipeline.AppHost;

/// <summary>Free loopback ports, for servers the AppHost runs itself and for the tests' systems.</summary>
internal static class LoopbackPort
{
    // Below Linux's default ephemeral range (32768-60999): a port from that range could become the source port of an
    // outgoing connection before the server binds it (servers start only once their dependencies run).
    private const int First = 20000;
    private const int Last = 32767;
    private static int _next = Random.Shared.Next(First, Last + 1);

    /// <summary>
    /// A loopback port nobody listens on right now, and not handed out before by this process: several picked before
    /// any is bound are all different.
    /// </summary>
    public static int PickFree()
    {
        for (var attempt = 0; attempt <= Last - First; attempt++)
        {
            var port = First + ((Interlocked.Increment(ref _next) - First) % (Last - First + 1));
            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                return port;
            }
            catch (SocketException)
            {
                // In use: the next one.
            }
        }
        throw new InvalidOperationException($"No free loopback port between {First} and {Last}.");
    }
}
