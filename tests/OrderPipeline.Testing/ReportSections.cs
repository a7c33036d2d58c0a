namespace OrderPipeline.Testing;

/// <summary>
/// A Markdown document that two kinds of run write (docs/reliability.md, docs/benchmarks.md): the laptop shape's run
/// writes the document, the other run a section at its end, from that section's heading on. Each run replaces its own
/// part and keeps the other's as the existing document has it.
/// </summary>
public static class ReportSections
{
    /// <summary>The document with <paramref name="part"/> written in and the other part kept.</summary>
    /// <param name="existing">The document as it is (null: none yet).</param>
    /// <param name="sectionHeading">The section's heading line, such as <c>## Lambda shape</c>: the section runs from it to the end.</param>
    /// <param name="part">The run's part: the whole document before the section, or the section, heading included.</param>
    /// <param name="isSection">Whether <paramref name="part"/> is the section (else it is the document before it).</param>
    public static string Merge(string? existing, string sectionHeading, string part, bool isSection)
    {
        ArgumentException.ThrowIfNullOrEmpty(sectionHeading);
        ArgumentNullException.ThrowIfNull(part);
        var text = "\n" + (existing ?? "").ReplaceLineEndings("\n");
        var sectionStart = text.IndexOf("\n" + sectionHeading + "\n", StringComparison.Ordinal);
        var document = (sectionStart < 0 ? text : text[..sectionStart]).Trim('\n');
        var section = sectionStart < 0 ? "" : text[(sectionStart + 1)..].TrimEnd('\n');
        if (isSection)
        {
            return (document.Length == 0 ? "" : document + "\n\n") + part;
        }
        return part + (section.Length == 0 ? "" : "\n" + section + "\n");
    }
}
