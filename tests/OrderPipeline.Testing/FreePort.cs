using System.Net;
using System.Net.Sockets;

namespace OrderPipeline.Testing;

public static class FreePort
{
    // Below Linux's default ephemeral range (32768-60999). A port the kernel hands out for port 0 comes from that range,
    // as does the source port of every outgoing connection, so under load it can be taken before the server binds it.
    private const int First = 20000;
    private const int Last = 32767;
    private static int _next = First + Random.Shared.Next(Last - First);

    /// <summary>
    /// A loopback port nobody listens on right now, outside the ephemeral range, and not handed out before by this
    /// process: systems started side by side each get their own.
    /// </summary>
    public static int Next()
    {
        for (var attempt = 0; attempt < Last - First; attempt++)
        {
            var port = First + (Interlocked.Increment(ref _next) - First) % (Last - First + 1);
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
