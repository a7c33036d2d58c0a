namespace OrderPipeline.Aws;

/// <summary>The credentials a request is signed with: in Lambda, the function role's, which Lambda puts in the environment.</summary>
public sealed record AwsCredentials(string AccessKeyId, string SecretAccessKey, string? SessionToken)
{
    /// <summary>Reads <c>AWS_ACCESS_KEY_ID</c>, <c>AWS_SECRET_ACCESS_KEY</c> and <c>AWS_SESSION_TOKEN</c>.</summary>
    /// <param name="purpose">What they are for, named in the error when they are missing.</param>
    /// <exception cref="InvalidOperationException">The key pair is not in the environment.</exception>
    public static AwsCredentials FromEnvironment(string purpose) => new(
        Required("AWS_ACCESS_KEY_ID", purpose), Required("AWS_SECRET_ACCESS_KEY", purpose), Environment.GetEnvironmentVariable("AWS_SESSION_TOKEN"));

    private static string Required(string variable, string purpose) =>
        Environment.GetEnvironmentVariable(variable)
        ?? throw new InvalidOperationException($"No AWS credentials in the environment to {purpose} ({variable}).");
}
