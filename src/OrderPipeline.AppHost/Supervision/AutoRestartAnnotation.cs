namespace OrderPipeline.AppHost.Supervision;

/// <summary>Marks a long-running resource that the AppHost starts again when it exits on its own.</summary>
/// <param name="MaxConsecutiveRestarts">Restarts without the resource becoming healthy in between, before giving up.</param>
/// <param name="FirstDelay">The wait before the first restart; it doubles with each restart up to <paramref name="MaxDelay"/>.</param>
public sealed record AutoRestartAnnotation(int MaxConsecutiveRestarts, TimeSpan FirstDelay, TimeSpan MaxDelay) : IResourceAnnotation
{
    public TimeSpan DelayBefore(int restart) =>
        TimeSpan.FromTicks(Math.Min(MaxDelay.Ticks, FirstDelay.Ticks * (1L << Math.Min(restart - 1, 20))));
}
