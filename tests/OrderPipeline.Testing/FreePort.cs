using OrderPipeline.AppHost;

namespace OrderPipeline.Testing;

public static class FreePort
{
    /// <summary>A loopback port nobody listens on right now, outside the ephemeral range, as the AppHost picks its own.</summary>
    public static int Next() => LoopbackPort.PickFree();
}
