using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Amazon.SQS.Model;

namespace OrderPipeline.AppHost.Lambda.EventSources;

/// <summary>
/// The event Lambda hands a function for a batch of SQS messages: <c>{"Records":[...]}</c>, one record per message with
/// the fields, names and order Lambda gives them (camelCase, system attributes under <c>attributes</c>, message
/// attributes with <c>stringValue</c>/<c>binaryValue</c>, <c>stringListValues</c>, <c>binaryListValues</c> and
/// <c>dataType</c>).
/// </summary>
internal static class SqsLambdaEvent
{
    /// <summary>The account of every local ARN: the emulator's queues belong to no real account.</summary>
    public const string LocalAccount = "000000000000";

    /// <summary>Lambda lists the system attributes in this order; any other comes after them, by name.</summary>
    private static readonly string[] AttributeOrder =
    [
        "ApproximateReceiveCount", "AWSTraceHeader", "SentTimestamp", "SequenceNumber", "MessageGroupId", "SenderId",
        "MessageDeduplicationId", "ApproximateFirstReceiveTimestamp",
    ];

    /// <summary>The queue's ARN as Lambda names it in <c>eventSourceARN</c>: <c>arn:aws:sqs:&lt;region&gt;:000000000000:&lt;name&gt;</c>.</summary>
    public static string ArnOf(string queueUrl, string region)
    {
        var name = new Uri(queueUrl).AbsolutePath.TrimEnd('/');
        return $"arn:aws:sqs:{region}:{LocalAccount}:{name[(name.LastIndexOf('/') + 1)..]}";
    }

    /// <summary>The event for <paramref name="messages"/>, received from the queue whose ARN is <paramref name="queueArn"/>.</summary>
    public static string Build(IReadOnlyList<Message> messages, string queueArn, string region)
    {
        using var buffer = new MemoryStream();
        // Escaped as Lambda escapes its events (a quote as \", not \u0022): the event goes to a program, never into HTML.
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteStartArray("Records");
            foreach (var message in messages)
            {
                WriteRecord(json, message, queueArn, region);
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    private static void WriteRecord(Utf8JsonWriter json, Message message, string queueArn, string region)
    {
        json.WriteStartObject();
        json.WriteString("messageId", message.MessageId);
        json.WriteString("receiptHandle", message.ReceiptHandle);
        json.WriteString("body", message.Body ?? "");
        json.WriteStartObject("attributes");
        var attributes = message.Attributes ?? [];
        foreach (var name in attributes.Keys
            .OrderBy(n => Array.IndexOf(AttributeOrder, n) is var i and >= 0 ? i : AttributeOrder.Length)
            .ThenBy(n => n, StringComparer.Ordinal))
        {
            json.WriteString(name, attributes[name]);
        }
        json.WriteEndObject();
        json.WriteStartObject("messageAttributes");
        foreach (var (name, value) in (message.MessageAttributes ?? []).OrderBy(a => a.Key, StringComparer.Ordinal))
        {
            WriteMessageAttribute(json, name, value);
        }
        json.WriteEndObject();
        json.WriteString("md5OfBody", message.MD5OfBody);
        if (message.MD5OfMessageAttributes is { Length: > 0 } attributesMd5)
        {
            json.WriteString("md5OfMessageAttributes", attributesMd5);
        }
        json.WriteString("eventSource", "aws:sqs");
        json.WriteString("eventSourceARN", queueArn);
        json.WriteString("awsRegion", region);
        json.WriteEndObject();
    }

    private static void WriteMessageAttribute(Utf8JsonWriter json, string name, MessageAttributeValue value)
    {
        json.WriteStartObject(name);
        if (value.StringValue is not null)
        {
            json.WriteString("stringValue", value.StringValue);
        }
        if (value.BinaryValue is { } binary)
        {
            json.WriteBase64String("binaryValue", binary.ToArray());
        }
        json.WriteStartArray("stringListValues");
        foreach (var item in value.StringListValues ?? [])
        {
            json.WriteStringValue(item);
        }
        json.WriteEndArray();
        json.WriteStartArray("binaryListValues");
        foreach (var item in value.BinaryListValues ?? [])
        {
            json.WriteBase64StringValue(item.ToArray());
        }
        json.WriteEndArray();
        json.WriteString("dataType", value.DataType);
        json.WriteEndObject();
    }
}
