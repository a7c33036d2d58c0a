namespace OrderPipeline.Processor.Outbox;

/// <summary>What one relay pass did: rows claimed, and of those, published and failed.</summary>
public sealed record RelayPass(int Claimed, int Published, int Failed)
{
    public static readonly RelayPass None = new(0, 0, 0);
}
