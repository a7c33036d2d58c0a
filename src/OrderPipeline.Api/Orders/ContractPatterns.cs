using System.Globalization;
using System.Text;

namespace OrderPipeline.Api.Orders;

/// <summary>
/// The JSON Schema patterns (ECMA-262 regular expressions) that state the validator's character rules, built from
/// <see cref="OrderRules"/>' own predicates over every Unicode code point, so the document and the validator cannot
/// disagree on which characters an identifier may hold.
/// </summary>
/// <remarks>
/// Written to mean the same in every dialect a client or a validator is likely to use: no <c>\p{..}</c> (not in
/// ECMA-262 without the u flag, nor in .NET's ECMAScript mode), no <c>$</c> (in .NET it also matches before a final
/// newline), and characters outside the Basic Multilingual Plane written as whole surrogate pairs, which UTF-16
/// engines match unit by unit and u-mode engines read as the one code point.
/// </remarks>
public static class ContractPatterns
{
    private const string AnyChar = @"[\s\S]";

    private static readonly string Forbidden = CharacterSet(r => OrderRules.IsControl(r) || OrderRules.IsInvisible(r));
    private static readonly string Space = CharacterSet(OrderRules.IsSpace);

    /// <summary>
    /// An identifier: at most <paramref name="maxLength"/> UTF-16 code units (what the validator counts; a UTF-16
    /// engine counts the same, a code-point engine counts as maxLength does), no control or invisible format
    /// character, no white space at either end. Emptiness is minLength's to state.
    /// </summary>
    public static string Identifier(int maxLength) =>
        $"^(?!{AnyChar}{{{maxLength + 1}}})(?!{AnyChar}*{Forbidden})(?!{Space})(?!{AnyChar}*{Space}(?!{AnyChar}))";

    /// <summary>An Idempotency-Key: nothing but the visible ASCII characters. Its length is minLength's and maxLength's.</summary>
    public static string IdempotencyKey { get; } =
        $"^(?!{AnyChar}*[^{Escape(OrderRules.FirstIdempotencyKeyChar)}-{Escape(OrderRules.LastIdempotencyKeyChar)}])";

    /// <summary>A regular expression matching one code point for which <paramref name="member"/> holds.</summary>
    private static string CharacterSet(Func<Rune, bool> member)
    {
        var bmp = new StringBuilder();
        var astral = new List<string>();
        int? runStart = null;
        for (var codePoint = 0; codePoint <= 0x10000; codePoint++)
        {
            var isMember = codePoint < 0x10000 && Rune.IsValid(codePoint) && member(new Rune(codePoint));
            if (isMember && runStart is null)
            {
                runStart = codePoint;
            }
            else if (!isMember && runStart is { } start)
            {
                bmp.Append(Escape((char)start));
                if (codePoint - 1 > start)
                {
                    bmp.Append('-').Append(Escape((char)(codePoint - 1)));
                }
                runStart = null;
            }
        }
        Span<char> pair = stackalloc char[2];
        for (var codePoint = 0x10000; codePoint <= 0x10FFFF; codePoint++)
        {
            if (member(new Rune(codePoint)))
            {
                new Rune(codePoint).EncodeToUtf16(pair);
                astral.Add(Escape(pair[0]) + Escape(pair[1]));
            }
        }
        var set = $"[{bmp}]";
        return astral.Count == 0 ? set : $"(?:{set}|{string.Join('|', astral)})";
    }

    private static string Escape(char c) => "\\u" + ((int)c).ToString("X4", CultureInfo.InvariantCulture);
}
