namespace OrderPipeline.Processor.Outbox;

/// <summary>When a row whose send failed is tried again: exponential in its failures, capped.</summary>
public static class OutboxBackoff
{
    /// <param name="failures">Failed sends so far, this one included (1 after the first failure).</param>
    public static TimeSpan Delay(int failures, OutboxOptions options)
    {
        var initial = Math.Max(0, options.InitialBackoffSeconds);
        var max = Math.Max(initial, options.MaxBackoffSeconds);
        // 2^30 s is already past any sensible cap; the exponent is bounded so the double never overflows.
        var seconds = initial * Math.Pow(2, Math.Clamp(failures - 1, 0, 30));
        return TimeSpan.FromSeconds(Math.Min(seconds, max));
    }
}
