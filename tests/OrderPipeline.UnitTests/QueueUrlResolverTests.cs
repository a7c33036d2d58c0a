using Amazon;
using Amazon.Runtime;
using Amazon.SQS;
using OrderPipeline.Messaging.Sqs;

namespace OrderPipeline.UnitTests;

[Trait("Category", "Unit")]
public sealed class QueueUrlResolverTests
{
    /// <summary>An SQS client that answers GetQueueUrl from memory and counts the calls; it never reaches the network.</summary>
    private sealed class FakeSqs()
        : AmazonSQSClient(new BasicAWSCredentials("AKIDEXAMPLE", "secret"), new AmazonSQSConfig { RegionEndpoint = RegionEndpoint.USEast1 })
    {
        private int _calls;

        public int GetQueueUrlCalls => Volatile.Read(ref _calls);

        public override Task<Amazon.SQS.Model.GetQueueUrlResponse> GetQueueUrlAsync(string queueName, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _calls);
            return Task.FromResult(new Amazon.SQS.Model.GetQueueUrlResponse { QueueUrl = $"https://sqs.us-east-1.amazonaws.com/123456789012/{queueName}" });
        }
    }

    [Theory]
    [InlineData("order-created", "order-created")]
    [InlineData("https://sqs.us-east-1.amazonaws.com/123456789012/order-created", "order-created")]
    [InlineData("http://localhost:4566/000000000000/order-processed", "order-processed")]
    [InlineData("http://localhost:4566/000000000000/order-processed/", "order-processed")]
    [InlineData("arn:aws:sqs:us-east-1:123456789012:order-created", "order-created")]
    [InlineData("arn:aws:sqs:eu-west-1:123456789012:orders.fifo", "orders.fifo")]
    [InlineData("unknown", "unknown")]
    public void DisplayName_is_the_last_segment_of_a_name_url_or_arn(string nameOrUrlOrArn, string expected)
    {
        Assert.Equal(expected, QueueUrlResolver.DisplayName(nameOrUrlOrArn));
    }

    [Theory]
    [InlineData("https://sqs.us-east-1.amazonaws.com/123456789012/order-created")]
    [InlineData("HTTP://localhost:4566/000000000000/order-created")]
    public async Task GetUrl_returns_a_url_as_it_is_without_asking_sqs(string url)
    {
        using var sqs = new FakeSqs();

        Assert.Equal(url, await new QueueUrlResolver(sqs).GetUrlAsync(url, TestContext.Current.CancellationToken));
        Assert.Equal(0, sqs.GetQueueUrlCalls);
    }

    [Fact]
    public async Task GetUrl_asks_sqs_once_per_name()
    {
        using var sqs = new FakeSqs();
        var resolver = new QueueUrlResolver(sqs);

        var first = await resolver.GetUrlAsync("order-created", TestContext.Current.CancellationToken);
        var second = await resolver.GetUrlAsync("order-created", TestContext.Current.CancellationToken);
        var other = await resolver.GetUrlAsync("order-processed", TestContext.Current.CancellationToken);

        Assert.Equal("https://sqs.us-east-1.amazonaws.com/123456789012/order-created", first);
        Assert.Equal(first, second);
        Assert.Equal("https://sqs.us-east-1.amazonaws.com/123456789012/order-processed", other);
        Assert.Equal(2, sqs.GetQueueUrlCalls);
    }
}
