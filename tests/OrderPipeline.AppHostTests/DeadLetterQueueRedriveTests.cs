using Amazon.SQS.Model;
using OrderPipeline.AppHost.Sqs;

namespace OrderPipeline.AppHostTests;

/// <summary>The dead-letter queue's "Redrive to source queue" command, against queues in memory.</summary>
[Trait("Category", "Unit")]
public sealed class DeadLetterQueueRedriveTests
{
    private const string DeadLetterQueue = "http://sqs.test/000000000000/order-created-dlq";
    private const string SourceQueue = "http://sqs.test/000000000000/order-created";

    [Fact]
    public async Task Every_message_in_the_dlq_goes_back_to_the_source_queue_with_its_attributes()
    {
        var sqs = InMemorySqs.Create(out var client);
        for (var i = 0; i < 25; i++)
        {
            sqs.Add(DeadLetterQueue, $"order {i}", new() { ["event_type"] = new MessageAttributeValue { DataType = "String", StringValue = "OrderCreated" } });
        }

        var outcome = await DeadLetterQueueRedrive.RunAsync(client, DeadLetterQueue, SourceQueue, TestContext.Current.CancellationToken);

        Assert.Equal(new DeadLetterQueueRedrive.Outcome(25, 0, null), outcome);
        Assert.Empty(sqs.Visible(DeadLetterQueue));
        Assert.Empty(sqs.InFlight(DeadLetterQueue));
        Assert.Equal(Enumerable.Range(0, 25).Select(i => $"order {i}"), sqs.Visible(SourceQueue).Select(m => m.Body));
        Assert.All(sqs.Visible(SourceQueue), m => Assert.Equal("OrderCreated", m.MessageAttributes["event_type"].StringValue));
    }

    [Fact]
    public async Task A_message_that_comes_back_to_the_dlq_during_the_redrive_waits_for_the_next_redrive()
    {
        var sqs = InMemorySqs.Create(out var client);
        for (var i = 0; i < 25; i++)
        {
            sqs.Add(DeadLetterQueue, $"poison {i}");
        }
        // A consumer that fails every message at once: SQS moves each back to the dead-letter queue while the redrive
        // is still running.
        sqs.Sent = (queue, message) =>
        {
            if (queue == SourceQueue)
            {
                sqs.Move(SourceQueue, message, DeadLetterQueue);
            }
        };

        var outcome = await DeadLetterQueueRedrive.RunAsync(client, DeadLetterQueue, SourceQueue, TestContext.Current.CancellationToken);

        // The 25 messages that were there when the command was given, each sent back once; no more.
        Assert.Equal(new DeadLetterQueueRedrive.Outcome(25, 0, null), outcome);
        Assert.Equal(25, sqs.Visible(DeadLetterQueue).Count);
        Assert.Empty(sqs.InFlight(DeadLetterQueue));
        Assert.Equal(3, sqs.Receives);
    }

    [Fact]
    public async Task Messages_the_source_queue_refuses_stay_in_the_dlq_and_the_redrive_stops()
    {
        var sqs = InMemorySqs.Create(out var client);
        for (var i = 0; i < 5; i++)
        {
            sqs.Add(DeadLetterQueue, $"order {i}");
        }
        sqs.Refuses = (queue, body) => queue == SourceQueue && body == "order 3";

        var outcome = await DeadLetterQueueRedrive.RunAsync(client, DeadLetterQueue, SourceQueue, TestContext.Current.CancellationToken);

        Assert.Equal(new DeadLetterQueueRedrive.Outcome(4, 1, "refused by the test"), outcome);
        Assert.Equal(["order 0", "order 1", "order 2", "order 4"], sqs.Visible(SourceQueue).Select(m => m.Body));
        // Received, not deleted: it becomes visible in the dead-letter queue again after its visibility timeout.
        Assert.Equal("order 3", Assert.Single(sqs.InFlight(DeadLetterQueue)).Body);
    }

    [Fact]
    public async Task An_empty_dlq_is_a_redrive_of_nothing()
    {
        InMemorySqs.Create(out var client);

        var outcome = await DeadLetterQueueRedrive.RunAsync(client, DeadLetterQueue, SourceQueue, TestContext.Current.CancellationToken);

        Assert.Equal(new DeadLetterQueueRedrive.Outcome(0, 0, null), outcome);
    }
}
