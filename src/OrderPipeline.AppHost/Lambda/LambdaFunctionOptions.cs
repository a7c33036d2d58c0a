namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// A Lambda function's configuration, as its <c>AWS::Lambda::Function</c> gives it. Its environment variables are the
/// resource's own (<c>WithEnvironment</c>, <c>WithReference</c>).
/// </summary>
public sealed record LambdaFunctionOptions
{
    /// <summary>Gets how long one invocation may run before its sandbox is killed (<c>Timeout</c>; Lambda's default is 3 s).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>Gets the memory size in MB (<c>MemorySize</c>): what an invocation is billed by.</summary>
    public int MemorySizeMb { get; init; } = 128;

    /// <summary>
    /// Gets the most sandboxes that run at once (<c>ReservedConcurrentExecutions</c>), or <see langword="null"/> for the
    /// local account's limit.
    /// </summary>
    public int? ReservedConcurrency { get; init; }

    /// <summary>Gets how long a frozen sandbox is kept for the next invocation before it is reclaimed.</summary>
    public TimeSpan IdleReclaim { get; init; } = TimeSpan.FromMinutes(5);
}
