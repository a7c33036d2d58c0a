using Amazon.Extensions.NETCore.Setup;
using Microsoft.Extensions.Configuration;

namespace OrderPipeline.Messaging.Sqs;

public static class SqsClientOptions
{
    /// <summary>
    /// The SQS client's options from the <c>AWS</c> section (Region, ServiceURL, ...). With a ServiceURL (the emulator,
    /// LocalStack) the configured Region is also the signing region: left unset, the SDK works it out of the URL on
    /// every call, through its whole fallback chain (environment, profile files, regular expressions), which measured
    /// a tenth of each service's CPU under load. Against AWS itself (no ServiceURL) nothing changes.
    /// </summary>
    public static AWSOptions GetSqsClientOptions(this IConfiguration configuration)
    {
        var options = configuration.GetAWSOptions();
        var client = options.DefaultClientConfig;
        if (!string.IsNullOrEmpty(client.ServiceURL) && string.IsNullOrEmpty(client.AuthenticationRegion) && options.Region is { } region)
        {
            client.AuthenticationRegion = region.SystemName;
        }
        return options;
    }
}
