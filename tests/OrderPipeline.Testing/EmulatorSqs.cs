using Amazon.Runtime;
using Amazon.SQS;

namespace OrderPipeline.Testing;

/// <summary>Clients for the SQS emulator (eng/sqs-emulator), with the credentials and region the services get.</summary>
public static class EmulatorSqs
{
    /// <summary>The one region used everywhere: the emulator keeps queues per region (taken from the request's signature).</summary>
    public const string Region = "us-east-1";

    /// <summary>A client for the emulator at <paramref name="serviceUrl"/>; it takes any key, so the pair is test/test.</summary>
    /// <param name="maxErrorRetry">The SDK's retries of a failed call; null keeps the SDK's default.</param>
    public static AmazonSQSClient CreateClient(Uri serviceUrl, int? maxErrorRetry = null)
    {
        ArgumentNullException.ThrowIfNull(serviceUrl);
        var config = new AmazonSQSConfig
        {
            ServiceURL = serviceUrl.ToString().TrimEnd('/'),
            AuthenticationRegion = Region,
        };
        if (maxErrorRetry is { } retries)
        {
            config.MaxErrorRetry = retries;
        }
        return new AmazonSQSClient(new BasicAWSCredentials("test", "test"), config);
    }
}
