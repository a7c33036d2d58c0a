namespace OrderPipeline.Tests.Shared;

/// <summary>Polls until a condition holds or a deadline passes. Never a fixed sleep.</summary>
public static class Eventually
{
    public static async Task<T> GetAsync<T>(Func<Task<T>> probe, Func<T, bool> until, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        T last;
        while (true)
        {
            last = await probe();
            if (until(last))
            {
                return last;
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out after {timeout.TotalSeconds:0} s waiting for {what}; last value: {last}");
            }
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
    }

    public static Task AssertAsync(Func<Task<bool>> condition, TimeSpan timeout, string what) =>
        GetAsync(condition, ok => ok, timeout, what);

    /// <summary>
    /// For a condition on in-memory state, cheap to read: polls it every few milliseconds until it holds, or throws once
    /// <paramref name="timeout"/> has passed. <paramref name="what"/> describes what was awaited, read only on failure.
    /// </summary>
    public static async Task UntilAsync(Func<bool> condition, TimeSpan timeout, Func<string> what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out after {timeout.TotalSeconds:0} s waiting for {what()}");
            }
            await Task.Delay(5, TestContext.Current.CancellationToken);
        }
    }
}
