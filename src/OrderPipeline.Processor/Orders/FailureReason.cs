using System.Text;

namespace OrderPipeline.Processor.Orders;

/// <summary>
/// Failure reasons that always fit <c>orders.failure_reason VARCHAR(500)</c>. A reason that did not fit would make
/// the settling UPDATE fail with error 1406 on every delivery, and a valid order would end in the DLQ unrecorded.
/// </summary>
public static class FailureReason
{
    /// <summary>The column's limit, in characters as MySQL counts them (utf8mb4: one per code point).</summary>
    public const int MaxLength = 500;

    /// <summary>
    /// The length as MySQL counts it: code points, not UTF-16 units. An unpaired surrogate counts as one
    /// (MySqlConnector sends it as U+FFFD).
    /// </summary>
    public static int Length(string text)
    {
        var count = 0;
        foreach (var _ in text.EnumerateRunes())
        {
            count++;
        }
        return count;
    }

    /// <summary>
    /// <c>"{title}: a, b, c"</c>, or as many entries as fit followed by <c>" and N more"</c>: the first products
    /// say what is wrong, the count says how much, and the whole stays within <see cref="MaxLength"/>.
    /// </summary>
    public static string List(string title, IReadOnlyList<string> entries)
    {
        var text = new StringBuilder(title).Append(':');
        var length = Length(title) + 1;
        var shown = 0;
        foreach (var entry in entries)
        {
            var separator = shown == 0 ? " " : ", ";
            var left = entries.Count - shown - 1;
            var added = separator.Length + Length(entry);
            // Room for this entry and for the " and N more" that would follow it if the next one does not fit.
            if (length + added + (left > 0 ? More(left).Length : 0) > MaxLength)
            {
                break;
            }
            text.Append(separator).Append(entry);
            length += added;
            shown++;
        }
        if (shown == 0)
        {
            return Bound($"{title}: {entries.Count} products");
        }
        return shown < entries.Count ? text.Append(More(entries.Count - shown)).ToString() : text.ToString();
    }

    /// <summary>The text cut to <see cref="MaxLength"/> characters (ending in "…" when cut), never splitting a code point.</summary>
    public static string Bound(string text)
    {
        if (Length(text) <= MaxLength)
        {
            return text;
        }
        var cut = new StringBuilder();
        var kept = 0;
        foreach (var rune in text.EnumerateRunes())
        {
            if (++kept > MaxLength - 1)
            {
                break;
            }
            cut.Append(rune.ToString());
        }
        return cut.Append('…').ToString();
    }

    private static string More(int count) => $" and {count} more";
}
