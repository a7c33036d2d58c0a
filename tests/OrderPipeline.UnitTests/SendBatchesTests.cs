using OrderPipeline.Messaging.Publishing;

namespace OrderPipeline.UnitTests;

[Trait("Category", "Unit")]
public sealed class SendBatchesTests
{
    private static OutgoingMessage Message(string queue, int bodyLength = 10) => new(queue, "OrderProcessed", new string('b', bodyLength));

    [Fact]
    public void At_most_ten_messages_a_batch_in_their_order()
    {
        var messages = Enumerable.Range(0, 23).Select(_ => Message("q")).ToList();

        var batches = SendBatches.Plan(messages);

        Assert.Equal([10, 10, 3], batches.Select(b => b.Count));
        Assert.Equal(Enumerable.Range(0, 23), batches.SelectMany(b => b));
    }

    [Fact]
    public void One_queue_per_batch()
    {
        var messages = new[] { Message("a"), Message("b"), Message("a"), Message("b"), Message("c") };

        var batches = SendBatches.Plan(messages);

        Assert.Equal([[0, 2], [1, 3], [4]], batches.Select(b => b.ToArray()));
    }

    [Fact]
    public void Batches_stay_within_the_size_limit_and_an_oversized_message_travels_alone()
    {
        var big = SendBatches.MaxBatchBytes / 3;
        var messages = new[] { Message("q", big), Message("q", big), Message("q", big), Message("q", SendBatches.MaxBatchBytes + 1), Message("q") };

        var batches = SendBatches.Plan(messages);

        Assert.Equal([[0, 1], [2], [3], [4]], batches.Select(b => b.ToArray()));
    }

    [Fact]
    public void Nothing_to_send_is_no_batch() => Assert.Empty(SendBatches.Plan([]));
}
