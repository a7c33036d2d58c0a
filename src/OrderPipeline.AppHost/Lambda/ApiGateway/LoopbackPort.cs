using System.Net;
using System.Net.Sockets;

namespace OrderPipeline.AppHost.Lambda.ApiGateway;

/// <summary>A free loopback port for a server the AppHost runs itself, chosen when the model is built.</summary>
internal static class LoopbackPort
{
    // Below Linux's default ephemeral range (32768-60999): a port from that range could become the source port of an
    // outgoing connection before the server binds it, and the server starts only once its dependencies run.
    private const int First = 20000;
    private const int Last = 32767;

    public static int PickFree()
    {
        var start = Random.Shared.Next(First, Last + 1);
        for (var i = 0; i <= Last - First; i++)
        {
            var port = First + ((start - First + i) % (Last - First + 1));
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
