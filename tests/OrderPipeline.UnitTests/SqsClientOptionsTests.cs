using Amazon.Runtime;
using Amazon.SQS;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OrderPipeline.Messaging.Sqs;

namespace OrderPipeline.UnitTests;

[Trait("Category", "Unit")]
public sealed class SqsClientOptionsTests
{
    private static IConfiguration Configuration(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => KeyValuePair.Create(v.Key, (string?)v.Value))).Build();

    private static AmazonSQSConfig ClientConfigFrom(IConfiguration configuration)
    {
        var services = new ServiceCollection();
        var options = configuration.GetSqsClientOptions();
        // Explicit, so that the test never looks for credentials on the machine.
        options.Credentials = new BasicAWSCredentials("AKIDEXAMPLE", "secret");
        services.AddDefaultAWSOptions(options);
        services.AddAWSService<IAmazonSQS>();
        using var provider = services.BuildServiceProvider();
        return (AmazonSQSConfig)provider.GetRequiredService<IAmazonSQS>().Config;
    }

    [Fact]
    public void A_custom_endpoint_is_signed_for_the_configured_region_without_working_it_out_per_call()
    {
        var config = ClientConfigFrom(Configuration(("AWS:ServiceURL", "http://127.0.0.1:4566"), ("AWS:Region", "eu-west-1")));

        Assert.Equal("eu-west-1", config.AuthenticationRegion);
        Assert.StartsWith("http://127.0.0.1:4566", config.ServiceURL, StringComparison.Ordinal);
    }

    [Fact]
    public void A_signing_region_given_in_configuration_is_kept()
    {
        var config = ClientConfigFrom(Configuration(
            ("AWS:ServiceURL", "http://127.0.0.1:4566"), ("AWS:Region", "eu-west-1"), ("AWS:AuthenticationRegion", "us-east-1")));

        Assert.Equal("us-east-1", config.AuthenticationRegion);
    }

    [Fact]
    public void Against_AWS_itself_the_region_endpoint_decides_and_no_signing_region_is_pinned()
    {
        var config = ClientConfigFrom(Configuration(("AWS:Region", "eu-west-1")));

        Assert.Null(config.AuthenticationRegion);
        Assert.Equal("eu-west-1", config.RegionEndpoint?.SystemName);
    }
}
