using System.Text.Json;

namespace OrderPipeline.AppHost.Lambda.EventSources;

/// <summary>
/// Reads a function's partial batch response, <c>{"batchItemFailures":[{"itemIdentifier":"&lt;messageId&gt;"}]}</c>, with
/// Lambda's rules: an empty answer, <c>null</c>, an object without the list, a <c>null</c> list or an empty one mean every
/// message succeeded; an answer that is not JSON or not that shape, or an entry whose <c>itemIdentifier</c> is missing,
/// <c>null</c>, empty or not a message of the batch, fails the whole batch.
/// </summary>
internal static class BatchItemFailures
{
    /// <summary>What the answer says about the batch.</summary>
    /// <param name="WholeBatch">The answer fails every message (see <see cref="Reason"/>).</param>
    /// <param name="Failed">The messages the function reported failed (empty when <paramref name="WholeBatch"/>).</param>
    /// <param name="Reason">Why the whole batch failed, for the log; <see langword="null"/> otherwise.</param>
    public sealed record Verdict(bool WholeBatch, IReadOnlySet<string> Failed, string? Reason)
    {
        public static readonly Verdict NoneFailed = new(false, new HashSet<string>(StringComparer.Ordinal), null);

        public static Verdict CompleteFailure(string reason) => new(true, new HashSet<string>(StringComparer.Ordinal), reason);

        /// <summary>Whether the message is to be deleted: the batch did not fail as a whole and the function did not name it.</summary>
        public bool Succeeded(string messageId) => !WholeBatch && !Failed.Contains(messageId);
    }

    public static Verdict Parse(string body, IReadOnlyCollection<string> messageIds)
    {
        if (string.IsNullOrWhiteSpace(body))
        {
            return Verdict.NoneFailed;
        }
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body);
        }
        catch (JsonException)
        {
            return Verdict.CompleteFailure("the response is not JSON");
        }
        using (document)
        {
            return Read(document.RootElement, messageIds);
        }
    }

    private static Verdict Read(JsonElement root, IReadOnlyCollection<string> messageIds)
    {
        if (root.ValueKind == JsonValueKind.Null)
        {
            return Verdict.NoneFailed;
        }
        if (root.ValueKind != JsonValueKind.Object)
        {
            return Verdict.CompleteFailure($"the response is a JSON {root.ValueKind.ToString().ToLowerInvariant()}, not an object");
        }
        if (!root.TryGetProperty("batchItemFailures", out var list) || list.ValueKind == JsonValueKind.Null)
        {
            return Verdict.NoneFailed;
        }
        if (list.ValueKind != JsonValueKind.Array)
        {
            return Verdict.CompleteFailure("batchItemFailures is not a list");
        }
        var failed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in list.EnumerateArray())
        {
            if (entry.ValueKind != JsonValueKind.Object || !entry.TryGetProperty("itemIdentifier", out var identifier))
            {
                return Verdict.CompleteFailure("an entry of batchItemFailures has no itemIdentifier");
            }
            if (identifier.ValueKind != JsonValueKind.String || identifier.GetString() is not { Length: > 0 } id)
            {
                return Verdict.CompleteFailure("an itemIdentifier is null or empty");
            }
            if (!messageIds.Contains(id))
            {
                return Verdict.CompleteFailure($"the itemIdentifier {id} is not a message of the batch");
            }
            failed.Add(id);
        }
        return new Verdict(false, failed, null);
    }
}
