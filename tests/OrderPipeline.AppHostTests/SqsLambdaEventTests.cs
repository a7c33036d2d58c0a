using Amazon.SQS.Model;
using OrderPipeline.AppHost.Lambda.EventSources;

namespace OrderPipeline.AppHostTests;

/// <summary>The event an SQS event source hands its function: Lambda's, field for field.</summary>
[Trait("Category", "Unit")]
public sealed class SqsLambdaEventTests
{
    private const string Arn = "arn:aws:sqs:us-east-1:000000000000:order-created";

    [Fact]
    public void A_record_has_the_fields_names_and_order_that_Lambda_gives_them()
    {
        var message = new Message
        {
            MessageId = "059f36b4-87a3-44ab-83d2-661975830a7d",
            ReceiptHandle = "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a",
            Body = """{"orderId":7,"note":"café"}""",
            MD5OfBody = "e4e68fb7bd0e697a0ae8f1bb342846b3",
            MD5OfMessageAttributes = "00484c68a4a2f0bb52e5ccf7d6e4a5ba",
            Attributes = new Dictionary<string, string>
            {
                ["SentTimestamp"] = "1764000000000",
                ["ApproximateFirstReceiveTimestamp"] = "1764000000100",
                ["SenderId"] = "000000000000",
                ["ApproximateReceiveCount"] = "2",
            },
            MessageAttributes = new Dictionary<string, MessageAttributeValue>
            {
                ["traceparent"] = new() { DataType = "String", StringValue = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" },
                ["attempt"] = new() { DataType = "Number", StringValue = "3" },
                ["blob"] = new() { DataType = "Binary", BinaryValue = new MemoryStream([1, 2, 3]) },
            },
        };

        var json = SqsLambdaEvent.Build([message], Arn, "us-east-1");

        // One line in the event; broken here where no space is lost.
        const string Expected = """
            {"Records":[{"messageId":"059f36b4-87a3-44ab-83d2-661975830a7d","receiptHandle":"AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a",
            "body":"{\"orderId\":7,\"note\":\"café\"}",
            "attributes":{"ApproximateReceiveCount":"2","SentTimestamp":"1764000000000","SenderId":"000000000000",
            "ApproximateFirstReceiveTimestamp":"1764000000100"},
            "messageAttributes":{"attempt":{"stringValue":"3","stringListValues":[],"binaryListValues":[],"dataType":"Number"},
            "blob":{"binaryValue":"AQID","stringListValues":[],"binaryListValues":[],"dataType":"Binary"},
            "traceparent":{"stringValue":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01","stringListValues":[],
            "binaryListValues":[],"dataType":"String"}},
            "md5OfBody":"e4e68fb7bd0e697a0ae8f1bb342846b3","md5OfMessageAttributes":"00484c68a4a2f0bb52e5ccf7d6e4a5ba",
            "eventSource":"aws:sqs","eventSourceARN":"arn:aws:sqs:us-east-1:000000000000:order-created","awsRegion":"us-east-1"}]}
            """;
        Assert.Equal(Expected.ReplaceLineEndings(""), json);
    }

    [Fact]
    public void A_message_without_attributes_has_empty_attribute_objects_and_no_attributes_digest()
    {
        // The AWS SDK leaves a response's collections null when SQS sent none.
        var message = new Message { MessageId = "m-1", ReceiptHandle = "r-1", Body = "plain", MD5OfBody = "d" };

        var json = SqsLambdaEvent.Build([message, message], Arn, "eu-west-1");

        const string Record = """
            {"messageId":"m-1","receiptHandle":"r-1","body":"plain","attributes":{},"messageAttributes":{},"md5OfBody":"d",
            "eventSource":"aws:sqs","eventSourceARN":"arn:aws:sqs:us-east-1:000000000000:order-created","awsRegion":"eu-west-1"}
            """;
        Assert.Equal($$"""{"Records":[{{Record.ReplaceLineEndings("")}},{{Record.ReplaceLineEndings("")}}]}""", json);
    }

    [Fact]
    public void An_empty_batch_is_an_empty_list_of_records() =>
        Assert.Equal("""{"Records":[]}""", SqsLambdaEvent.Build([], Arn, "us-east-1"));

    [Theory]
    [InlineData("http://127.0.0.1:4566/000000000000/order-created", "arn:aws:sqs:us-east-1:000000000000:order-created")]
    [InlineData("http://sqs.us-east-1.localhost:4566/000000000000/orders-dlq/", "arn:aws:sqs:us-east-1:000000000000:orders-dlq")]
    [InlineData("http://localhost:9324/queue/evt-1234", "arn:aws:sqs:us-east-1:000000000000:evt-1234")]
    public void The_event_source_arn_is_the_queue_name_in_the_local_account(string queueUrl, string arn) =>
        Assert.Equal(arn, SqsLambdaEvent.ArnOf(queueUrl, "us-east-1"));
}
