using System.Text.Json.Nodes;
using CsCheck;

namespace OrderPipeline.FunctionalTests.Support;

/// <summary>
/// Generated order bodies, valid and not, near every limit the Api enforces: identifiers short, long, at the
/// limit in UTF-16 units (emoji count twice), with control, invisible or edge-space characters; quantities at and
/// past their range, fractions, exponents, strings, nulls; item counts at and past their bounds; repeated products;
/// unknown and missing fields; wrong types. Whether each is valid is for the Api and the document to say, not this.
/// </summary>
public static class OrderBodies
{
    /// <summary>A property's value, or the property left out.</summary>
    public sealed record Slot(JsonNode? Value, bool Omitted = false)
    {
        public static readonly Slot Missing = new(null, Omitted: true);
    }

    private const int MaxId = 64;
    private static readonly Gen<char> Plain = Gen.Char["abcdefghijklmnopqrstuvwxyzABCXYZ0123456789-_.:/@ éßø漢字"];
    private static readonly Gen<string> Forbidden = Gen.OneOf(
        "\u0000", "\u0001", "\t", "\n", "\r", "\u001F", "\u007F", "\u0085", "\u009F",
        "\u00AD", "\u061C", "\u180E", "\u200B", "\u200D", "\u200E", "\u202E", "\u2060", "\u2066", "\uFEFF",
        "\U000110BD", "\U0001D173", "\U000E0001", "\U000E007F");
    private static readonly Gen<string> Space = Gen.OneOf(" ", "\u00A0", "\u1680", "\u2003", "\u2028", "\u2029", "\u202F", "\u3000");
    private static readonly Gen<string> Astral = Gen.OneOf("\U0001F600", "\U0001F4E6", "\U00020BB7", "\U0001D11E");

    private static Gen<string> PlainText(int min, int max) => Plain.Array[min, max].Select(chars => new string(chars));

    /// <summary>Text for an identifier of at most <paramref name="max"/> UTF-16 units, and around that bound.</summary>
    private static Gen<string> IdText(int max) => Gen.Frequency(
        (40, PlainText(1, 12).Select(text => text.Trim() is { Length: > 0 } trimmed ? trimmed : "x")),
        (5, PlainText(1, 12)),
        (3, PlainText(max - 3, max + 4)),
        // Emoji and other characters outside the BMP: 2 UTF-16 units each, so 33 of them are 66 units and 33 characters.
        (3, Gen.Frequency((1, Plain.Select(c => c.ToString())), (2, Astral)).Array[max / 2 + 2, max / 2 + 12].Select(parts => string.Concat(parts))),
        (2, Astral.Array[max / 2 - 1, max / 2 + 2].Select(parts => string.Concat(parts))),
        (3, Gen.Select(PlainText(0, 10), Forbidden, PlainText(0, 10), (a, bad, b) => a + bad + b)),
        (2, Gen.Select(Space, PlainText(1, 10), Gen.Int[0, 2], (space, text, where) => where switch
        {
            0 => space + text,
            1 => text + space,
            _ => text[..(text.Length / 2)] + space + text[(text.Length / 2)..],
        })),
        (1, Gen.OneOf("", " ", "\u3000", "\t \n")));

    private static Gen<Slot> Identifier(int max) => Gen.Frequency(
        (40, IdText(max).Select(text => new Slot(JsonValue.Create(text)))),
        (1, Gen.OneOf("42", "null", "true", "{}", "[\"a\"]").Select(raw => new Slot(JsonNode.Parse(raw)))),
        (1, Gen.Const(Slot.Missing)));

    private static readonly Gen<Slot> Quantity = Gen.Frequency(
        (40, Gen.Int[1, 1000].Select(n => new Slot(JsonValue.Create(n)))),
        (2, Gen.Int[-3, 3].Select(n => new Slot(JsonValue.Create(n)))),
        (2, Gen.Int[996, 1004].Select(n => new Slot(JsonValue.Create(n)))),
        (3, Gen.OneOf("2.0", "1e2", "1E3", "10e-1", "1000.0", "-0", "2.5", "0.999", "1000.5", "1e400", "-1e400",
                "99999999999999999999999999999999", "1.00000000000000000000000000001", "-2147483649", "2147483648")
            .Select(raw => new Slot(JsonNode.Parse(raw)))),
        (1, Gen.OneOf("\"2\"", "null", "true", "[]", "{}").Select(raw => new Slot(JsonNode.Parse(raw)))),
        (1, Gen.Const(Slot.Missing)));

    private static readonly Gen<JsonNode?> Item = Gen.Frequency(
        (40, Gen.Select(Identifier(MaxId), Quantity, Gen.Int[0, 40], (product, quantity, extra) =>
            (JsonNode?)Object(("product_id", product), ("quantity", quantity), ("colour", extra == 0 ? new Slot("blue") : Slot.Missing)))),
        (1, Gen.OneOf("1", "\"SKU-1\"", "null", "[]").Select(raw => JsonNode.Parse(raw))));

    private static readonly Gen<Slot> Items = Gen.Frequency(
        (30, Gen.Select(Item.Array[1, 4], Gen.Int[0, 5], (lines, repeat) => new Slot(new JsonArray(Repeat(lines, repeat == 0))))),
        (1, Gen.Const(() => new Slot(new JsonArray()))),
        (2, Gen.Select(Gen.Int[48, 52], Gen.Int[0, 5], (count, repeat) =>
            new Slot(new JsonArray(Repeat(
                [.. Enumerable.Range(0, count).Select(i =>
                    (JsonNode?)Object(("product_id", new Slot($"SKU-{i}")), ("quantity", new Slot(1))))],
                repeat == 0))))),
        (1, Gen.OneOf("null", "{}", "\"SKU-1\"", "1").Select(raw => new Slot(JsonNode.Parse(raw)))),
        (1, Gen.Const(Slot.Missing)));

    /// <summary>An order body, as JSON.</summary>
    public static readonly Gen<JsonNode?> Body = Gen.Frequency(
        (40, Gen.Select(Identifier(MaxId), Items, Gen.Int[0, 40], (customer, items, extra) =>
            (JsonNode?)Object(("customer_id", customer), ("items", items), ("coupon", extra == 0 ? new Slot("SAVE10") : Slot.Missing)))),
        (1, Gen.OneOf("[]", "\"order\"", "1", "null", "true").Select(raw => JsonNode.Parse(raw))));

    /// <summary>An Idempotency-Key header, or none. Valid keys carry a GUID, so no two samples share a key.</summary>
    public static readonly Gen<string?> IdempotencyKey = Gen.Frequency(
        (5, Gen.Const((string?)null)),
        (5, Gen.Select(Gen.Guid, Gen.Char['!', '~'].Array[0, 20], (id, tail) => (string?)$"k-{id:N}{new string(tail)}")),
        (1, Gen.Select(Gen.Guid, Gen.Char['!', '~'].Array[92, 100], (id, tail) => (string?)$"{id:N}{new string(tail)}")),
        (2, Gen.Select(Gen.Guid, Gen.OneOf(" ", "\t", "\u007F", "\u00E9", "\u200B", "\u0001"), (id, bad) => (string?)$"k{bad}{id:N}")));

    /// <summary>Whether two lines of the order name the same product (the one rule JSON Schema cannot state).</summary>
    public static bool HasRepeatedProduct(JsonNode? body) =>
        body?["items"] is JsonArray items
        && items.OfType<JsonObject>().Select(i => i["product_id"]).OfType<JsonValue>()
            .Select(v => v.TryGetValue<string>(out var id) ? id : null).OfType<string>()
            .GroupBy(id => id, StringComparer.Ordinal).Any(g => g.Count() > 1);

    private static JsonObject Object(params (string Name, Slot Slot)[] properties)
    {
        var obj = new JsonObject();
        foreach (var (name, slot) in properties.Where(p => !p.Slot.Omitted))
        {
            obj[name] = slot.Value?.DeepClone();
        }
        return obj;
    }

    /// <summary>The lines, the last naming the first line's product when <paramref name="repeat"/>.</summary>
    private static JsonNode?[] Repeat(JsonNode?[] lines, bool repeat)
    {
        var copy = lines.Select(l => l?.DeepClone()).ToArray();
        if (repeat && copy.Length > 1 && copy[0] is JsonObject first && copy[^1] is JsonObject last && first["product_id"] is { } product)
        {
            last["product_id"] = product.DeepClone();
        }
        return copy;
    }
}
