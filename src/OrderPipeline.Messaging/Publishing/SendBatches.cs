using System.Text;

namespace OrderPipeline.Messaging.Publishing;

/// <summary>
/// Splits messages into SendMessageBatch calls: one queue per call, at most 10 entries and at most 256 KiB of
/// payload each (SQS's limits for a batch). A message too large for any batch travels alone, so only its own call
/// fails and it never takes the messages around it down with it.
/// </summary>
public static class SendBatches
{
    public const int MaxEntries = 10;

    /// <summary>SQS's limit for a whole batch (bodies and attributes). Attributes are counted with a margin below.</summary>
    public const int MaxBatchBytes = 256 * 1024;

    // Event type, traceparent and tracestate with their names and types: at most about 700 bytes (tracestate <= 512).
    private const int AttributeAllowance = 1024;

    /// <returns>Indexes into <paramref name="messages"/>, batch by batch, in their original order within a queue.</returns>
    public static IReadOnlyList<IReadOnlyList<int>> Plan(IReadOnlyList<OutgoingMessage> messages)
    {
        var batches = new List<IReadOnlyList<int>>();
        foreach (var queue in Enumerable.Range(0, messages.Count).GroupBy(i => messages[i].Queue, StringComparer.Ordinal))
        {
            var current = new List<int>();
            var bytes = 0;
            foreach (var index in queue)
            {
                var size = Encoding.UTF8.GetByteCount(messages[index].Body) + AttributeAllowance;
                if (current.Count > 0 && (current.Count == MaxEntries || bytes + size > MaxBatchBytes))
                {
                    batches.Add(current);
                    current = [];
                    bytes = 0;
                }
                current.Add(index);
                bytes += size;
            }
            if (current.Count > 0)
            {
                batches.Add(current);
            }
        }
        return batches;
    }
}
