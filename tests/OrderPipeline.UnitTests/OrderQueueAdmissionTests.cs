using System.Diagnostics;
using Amazon.SQS;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using OrderPipeline.Api.Admission;
using OrderPipeline.Messaging.Sqs;
using OrderPipeline.UnitTests.Support;
using MicrosoftOptions = Microsoft.Extensions.Options.Options;

namespace OrderPipeline.UnitTests;

/// <summary>The Api takes new orders while at most the limit wait on order-created, from a count it reads at most once an interval.</summary>
[Trait("Category", "Unit")]
public sealed class OrderQueueAdmissionTests
{
    private readonly FakeTimeProvider _clock = new();
    private readonly FakeSqs _sqs;
    private readonly IAmazonSQS _client;

    public OrderQueueAdmissionTests() => _sqs = FakeSqs.Create(out _client);

    [Fact]
    public void Without_a_limit_every_order_is_taken_and_the_queue_is_never_counted()
    {
        var admission = Admission(new AdmissionOptions());
        _sqs.Waiting = 1_000_000;

        Assert.True(admission.Admits());
        Assert.Equal(0, _sqs.AttributeReads);
    }

    [Fact]
    public void Orders_are_taken_up_to_the_limit_waiting_and_refused_above_it()
    {
        var admission = Admission(new AdmissionOptions { MaxQueuedOrders = 5 });

        _sqs.Waiting = 5;
        Assert.True(admission.Admits());

        _sqs.Waiting = 6;
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.False(admission.Admits());
        Assert.Equal(6, admission.Queued);
    }

    [Fact]
    public void The_queue_is_counted_again_only_once_the_interval_has_passed()
    {
        var admission = Admission(new AdmissionOptions { MaxQueuedOrders = 5, CountInterval = TimeSpan.FromSeconds(2) });
        _sqs.Waiting = 6;
        Assert.False(admission.Admits());

        _sqs.Waiting = 0;
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.False(admission.Admits());
        Assert.Equal(1, _sqs.AttributeReads);

        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.True(admission.Admits());
        Assert.Equal(2, _sqs.AttributeReads);
    }

    [Fact]
    public void Orders_are_taken_when_the_queue_cannot_be_counted()
    {
        var admission = Admission(new AdmissionOptions { MaxQueuedOrders = 5 });
        _sqs.Waiting = 6;
        Assert.False(admission.Admits());

        _sqs.AttributesFailure = new AmazonSQSException("unreachable");
        _clock.Advance(TimeSpan.FromSeconds(1));

        Assert.True(admission.Admits());
    }

    [Fact]
    public void The_count_is_read_outside_the_trace_of_the_request_that_starts_it()
    {
        var admission = Admission(new AdmissionOptions { MaxQueuedOrders = 5 });
        using var request = new Activity("POST /api/orders").Start();

        Assert.True(admission.Admits());

        Assert.Equal(1, _sqs.AttributeReads);
        Assert.Null(_sqs.AttributesReadUnder);
        Assert.Same(request, Activity.Current);
    }

    private OrderQueueAdmission Admission(AdmissionOptions options) => new(
        _client,
        new QueueUrlResolver(_client),
        MicrosoftOptions.Create(new QueueOptions { OrderCreated = "http://127.0.0.1:4566/000000000000/order-created" }),
        MicrosoftOptions.Create(options),
        _clock,
        NullLogger<OrderQueueAdmission>.Instance);
}
