using System.Collections.Concurrent;
using Amazon.SQS;

namespace OrderPipeline.Messaging.Sqs;

/// <summary>Turns a configured queue name or URL into a queue URL, asking SQS once per name.</summary>
public sealed class QueueUrlResolver(IAmazonSQS sqs)
{
    private readonly ConcurrentDictionary<string, string> _urls = new(StringComparer.Ordinal);

    public async ValueTask<string> GetUrlAsync(string nameOrUrl, CancellationToken cancellationToken)
    {
        if (IsUrl(nameOrUrl))
        {
            return nameOrUrl;
        }
        if (_urls.TryGetValue(nameOrUrl, out var cached))
        {
            return cached;
        }
        var response = await sqs.GetQueueUrlAsync(nameOrUrl, cancellationToken).ConfigureAwait(false);
        return _urls.GetOrAdd(nameOrUrl, response.QueueUrl);
    }

    /// <summary>The short queue name used in span names and metrics: the last segment of a URL or ARN.</summary>
    public static string DisplayName(string nameOrUrlOrArn)
    {
        var trimmed = nameOrUrlOrArn.TrimEnd('/');
        var cut = Math.Max(trimmed.LastIndexOf('/'), trimmed.LastIndexOf(':'));
        return cut >= 0 ? trimmed[(cut + 1)..] : trimmed;
    }

    private static bool IsUrl(string value) =>
        value.StartsWith("http://", StringComparison.OrdinalIgnoreCase) ||
        value.StartsWith("https://", StringComparison.OrdinalIgnoreCase);
}
