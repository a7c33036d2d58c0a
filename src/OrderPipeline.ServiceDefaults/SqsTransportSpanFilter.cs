using System.Diagnostics;
using OpenTelemetry;

namespace OrderPipeline.ServiceDefaults;

/// <summary>
/// Drops the HTTP call the AWS SDK makes under one of our SQS spans (publish, receive, settle): the messaging span
/// already names the queue and carries the duration and the outcome, so the call beneath it only doubles the span count.
/// </summary>
public sealed class SqsTransportSpanFilter : BaseProcessor<Activity>
{
    /// <inheritdoc />
    public override void OnStart(Activity data)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.Kind == ActivityKind.Client && data.Parent?.GetTagItem("messaging.system") is "aws_sqs")
        {
            DroppedSpans.Drop(data);
        }
    }
}
