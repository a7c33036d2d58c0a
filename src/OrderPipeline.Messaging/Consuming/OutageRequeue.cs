using System.Globalization;
using Amazon.SQS;
using Amazon.SQS.Model;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrderPipeline.Messaging.Sqs;

namespace OrderPipeline.Messaging.Consuming;

/// <summary>
/// Lambda's side of an outage. A function cannot hold messages past its timeout the way the long-polling consumer
/// does, and every failure it reports costs the message a receive: an outage of an hour would move every valid order
/// to the DLQ. So a message that failed because of an outage is sent back to its queue as a delayed copy (same body
/// and attributes, one more on its requeue count) and reported handled, which deletes the original; the copy starts
/// with no receives. The handlers are idempotent, so a copy of something that was handled after all changes nothing.
/// </summary>
public sealed partial class OutageRequeue(IAmazonSQS sqs, QueueUrlResolver queues, IOptions<OutageRequeueOptions> options, ILogger<OutageRequeue> logger)
{
    /// <summary>The message attribute that counts a message's requeues.</summary>
    public const string RequeuesAttribute = "orderpipeline_outage_requeues";

    /// <summary>True when the message may be requeued (enabled, and under its limit).</summary>
    public bool MayRequeue(InboundMessage message) => options.Value.Enabled && RequeuesOf(message) < options.Value.MaxRequeues;

    /// <returns>True when the copy is on the queue (the original may be deleted); false when it must be failed instead.</returns>
    public async Task<bool> TryRequeueAsync(string queue, InboundMessage message, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var requeues = RequeuesOf(message) + 1;
        var attributes = message.Attributes
            .Where(a => a.Key != RequeuesAttribute)
            .ToDictionary(a => a.Key, a => new MessageAttributeValue { DataType = "String", StringValue = a.Value }, StringComparer.Ordinal);
        attributes[RequeuesAttribute] = new MessageAttributeValue { DataType = "Number", StringValue = requeues.ToString(CultureInfo.InvariantCulture) };
        try
        {
            var url = await queues.GetUrlAsync(queue, cancellationToken).ConfigureAwait(false);
            await sqs.SendMessageAsync(new SendMessageRequest(url, message.Body)
            {
                DelaySeconds = Math.Clamp(settings.DelaySeconds, 0, 900),
                MessageAttributes = attributes,
            }, cancellationToken).ConfigureAwait(false);
            LogRequeued(logger, message.MessageId, queue, requeues, settings.DelaySeconds);
            return true;
        }
        catch (Exception ex) when (ex is AmazonSQSException or HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            LogRequeueFailed(logger, ex, message.MessageId, queue);
            return false;
        }
    }

    internal static int RequeuesOf(InboundMessage message) =>
        message.Attributes.TryGetValue(RequeuesAttribute, out var value)
            && int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var count) ? count : 0;

    [LoggerMessage(LogLevel.Warning, "Outage: message {MessageId} sent back to {Queue} (requeue {Requeues}, visible again in {DelaySeconds} s)")]
    private static partial void LogRequeued(ILogger logger, string messageId, string queue, int requeues, int delaySeconds);

    [LoggerMessage(LogLevel.Error, "Outage: message {MessageId} could not be sent back to {Queue}; it is reported failed and costs a receive")]
    private static partial void LogRequeueFailed(ILogger logger, Exception exception, string messageId, string queue);
}
