using System.Text;
using System.Text.RegularExpressions;
using OrderPipeline.Api.Orders;

namespace OrderPipeline.UnitTests;

/// <summary>
/// The OpenAPI document's identifier and Idempotency-Key patterns refuse exactly what the validator refuses, checked
/// for every Unicode code point, in .NET's regex dialect and in its ECMAScript one (JSON Schema's).
/// </summary>
[Trait("Category", "Unit")]
public sealed class ContractPatternsTests
{
    private static readonly Regex[] Identifier =
    [
        new(ContractPatterns.Identifier(OrderRules.MaxCustomerIdLength), RegexOptions.ECMAScript | RegexOptions.Compiled),
        new(ContractPatterns.Identifier(OrderRules.MaxCustomerIdLength), RegexOptions.CultureInvariant | RegexOptions.Compiled),
    ];

    private static bool ValidatorAccepts(string customerId) =>
        OrderValidator.Validate(Encoding.UTF8.GetBytes(
            $$"""{"customer_id":{{System.Text.Json.JsonSerializer.Serialize(customerId)}},"items":[{"product_id":"p","quantity":1}]}""")).Request is not null;

    private static bool PatternAccepts(Regex regex, string text) => text.Length >= 1 && text.Length <= OrderRules.MaxCustomerIdLength && regex.IsMatch(text);

    [Fact]
    public void Every_character_of_the_basic_plane_is_allowed_by_the_pattern_exactly_where_the_validator_allows_it()
    {
        var disagreements = new List<string>();
        for (var c = 0; c < 0x10000; c++)
        {
            if (char.IsSurrogate((char)c))
            {
                continue;
            }
            var ch = ((char)c).ToString();
            foreach (var text in new[] { $"a{ch}a", $"{ch}a", $"a{ch}" })
            {
                var validator = ValidatorAccepts(text);
                // JSON Schema's dialect for every character; .NET's own (the same engine, other options) for every 7th.
                disagreements.AddRange(Identifier.Take(c % 7 == 0 ? 2 : 1).Where(regex => PatternAccepts(regex, text) != validator)
                    .Select(regex => $"U+{c:X4} in \"{Escape(text)}\": validator {(validator ? "accepts" : "refuses")} ({regex.Options})"));
            }
        }
        Assert.Empty(disagreements.Take(20));
    }

    [Fact]
    public void Every_character_outside_the_basic_plane_is_allowed_by_the_pattern_exactly_where_the_rules_allow_it()
    {
        static bool Allowed(int c) => new Rune(c) is var rune && !OrderRules.IsControl(rune) && !OrderRules.IsInvisible(rune) && !OrderRules.IsSpace(rune);

        // Every refused one, each one beside a refused one (where a range could be off by one), and every 61st of the rest:
        // the pattern names the refused ones, so a mistake shows at a refused one or at its edges.
        var disagreements = new List<string>();
        for (var c = 0x10000; c <= 0x10FFFF; c++)
        {
            var allowed = Allowed(c);
            if (allowed && c % 61 != 0 && (c == 0x10000 || Allowed(c - 1)) && (c == 0x10FFFF || Allowed(c + 1)))
            {
                continue;
            }
            var text = $"a{new Rune(c)}a";
            disagreements.AddRange(Identifier.Where(regex => PatternAccepts(regex, text) != allowed).Select(regex => $"U+{c:X5} ({regex.Options})"));
        }
        Assert.Empty(disagreements.Take(20));

        // And the validator itself on the ones that matter: the invisible ones, and a visible one beside each.
        foreach (var c in new[] { 0x110BD, 0x1D173, 0xE0001, 0xE007F, 0x1F600, 0x20BB7 })
        {
            var text = $"a{new Rune(c)}a";
            Assert.Equal(ValidatorAccepts(text), Identifier[0].IsMatch(text));
        }
    }

    [Theory]
    [InlineData(64, true)]
    [InlineData(65, false)]
    public void The_pattern_counts_length_in_UTF16_units_as_the_validator_does(int units, bool accepted)
    {
        // 32 emoji are 64 units and 32 characters; 33 are 66 units (refused) but only 33 characters (within maxLength).
        var text = string.Concat(Enumerable.Repeat("\U0001F600", units / 2)) + (units % 2 == 1 ? "x" : "");
        Assert.Equal(accepted, ValidatorAccepts(text));
        Assert.Equal(accepted, Identifier[0].IsMatch(text));
    }

    [Fact]
    public void The_idempotency_key_pattern_allows_exactly_the_characters_the_validator_allows()
    {
        var pattern = new Regex(ContractPatterns.IdempotencyKey, RegexOptions.ECMAScript);
        for (var c = 0; c < 0x10000; c++)
        {
            var key = $"k{(char)c}k";
            Assert.True((OrderValidator.CheckIdempotencyKey(key) is null) == pattern.IsMatch(key), $"U+{c:X4}");
        }
    }

    private static string Escape(string text) => string.Concat(text.Select(c => c is >= ' ' and <= '~' ? c.ToString() : $"\\u{(int)c:X4}"));
}
