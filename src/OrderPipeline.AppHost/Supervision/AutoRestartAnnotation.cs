namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// An annotation that marks a long-running resource that the AppHost starts again when it exits on its own.
/// </summary>
/// <param name="MaxConsecutiveRestarts">Restarts without the resource becoming healthy in between, before giving up.</param>
/// <param name="FirstDelay">The wait before the first restart; it doubles with each restart up to <paramref name="MaxDelay"/>.</param>
/// <param name="MaxDelay">The longest wait before a restart.</param>
public sealed record AutoRestartAnnotation(int MaxConsecutiveRestarts, TimeSpan FirstDelay, TimeSpan MaxDelay) : IResourceAnnotation
{
    /// <summary>
    /// Gets the wait before a restart.
    /// </summary>
    /// <param name="restart">The restart's number in the current run of restarts, from 1.</param>
    /// <returns><see cref="FirstDelay"/> doubled for each earlier restart, at most <see cref="MaxDelay"/>.</returns>
    public TimeSpan DelayBefore(int restart) =>
        TimeSpan.FromTicks(Math.Min(MaxDelay.Ticks, FirstDelay.Ticks * (1L << Math.Min(restart - 1, 20))));
}
