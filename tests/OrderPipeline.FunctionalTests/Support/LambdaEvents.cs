using System.Text.Json.Nodes;

namespace OrderPipeline.FunctionalTests.Support;

/// <summary>Events as AWS Lambda delivers them, which the Lambda Web Adapter POSTs unchanged to /events.</summary>
public static class LambdaEvents
{
    public static string Sqs(string queueName, params (string MessageId, string Body)[] messages) =>
        new JsonObject
        {
            ["Records"] = new JsonArray([.. messages.Select(m => (JsonNode)new JsonObject
            {
                ["messageId"] = m.MessageId,
                ["receiptHandle"] = "AQEB" + m.MessageId,
                ["body"] = m.Body,
                ["attributes"] = new JsonObject
                {
                    ["ApproximateReceiveCount"] = "1",
                    ["SentTimestamp"] = "1764000000000",
                    ["SenderId"] = "AIDAEXAMPLE",
                    ["ApproximateFirstReceiveTimestamp"] = "1764000000100",
                },
                ["messageAttributes"] = new JsonObject
                {
                    ["traceparent"] = new JsonObject
                    {
                        ["stringValue"] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                        ["stringListValues"] = new JsonArray(),
                        ["binaryListValues"] = new JsonArray(),
                        ["dataType"] = "String",
                    },
                },
                ["md5OfBody"] = "ignored",
                ["eventSource"] = "aws:sqs",
                ["eventSourceARN"] = $"arn:aws:sqs:us-east-1:123456789012:{queueName}",
                ["awsRegion"] = "us-east-1",
            })]),
        }.ToJsonString();
}
