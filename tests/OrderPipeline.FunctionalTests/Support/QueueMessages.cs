using System.Text.Json;
using Amazon.SQS;
using Amazon.SQS.Model;
using OrderPipeline.Messaging.Events;

namespace OrderPipeline.FunctionalTests.Support;

public static class QueueMessages
{
    /// <summary>Every OrderCreated on a queue the test owns, received and deleted until a receive comes back empty.</summary>
    public static async Task<IReadOnlyList<OrderCreated>> DrainOrderCreatedAsync(this IAmazonSQS sqs, string queueUrl)
    {
        var all = new List<OrderCreated>();
        while (true)
        {
            var received = await sqs.ReceiveMessageAsync(
                new ReceiveMessageRequest { QueueUrl = queueUrl, MaxNumberOfMessages = 10, WaitTimeSeconds = 1 },
                TestContext.Current.CancellationToken);
            if (received.Messages is not { Count: > 0 })
            {
                return all;
            }
            foreach (var message in received.Messages)
            {
                all.Add(JsonSerializer.Deserialize(message.Body, EventJsonContext.Default.OrderCreated)!);
                await sqs.DeleteMessageAsync(queueUrl, message.ReceiptHandle, TestContext.Current.CancellationToken);
            }
        }
    }
}
