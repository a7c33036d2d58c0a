using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using Microsoft.Net.Http.Headers;
using OrderPipeline.Messaging.Events;

namespace OrderPipeline.Api.Orders;

/// <summary>
/// Where an order is validated. Reads the JSON by hand rather than binding it, so every problem is reported
/// against the field it concerns (<c>customer_id</c>, <c>items[2].quantity</c>) and all of them at once.
/// </summary>
public static class OrderValidator
{
    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 16, AllowDuplicateProperties = false };

    /// <summary>Parses the body. On failure the request is null and the errors say why, by field.</summary>
    public static (PlaceOrderRequest? Request, Dictionary<string, string[]> Errors) Validate(ReadOnlyMemory<byte> body)
    {
        var errors = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        // The JSON parser checks structure, not text: invalid UTF-8 inside a string, or an escaped unpaired
        // surrogate ("\udc00"), only fails later, when the string is read, as an exception that is not a
        // JsonException. Check the text first, so every malformed body is a 400 on "body".
        if (!Utf8.IsValid(body.Span))
        {
            return (null, new() { ["body"] = ["is not valid UTF-8 (JSON must be sent as UTF-8)"] });
        }
        JsonDocument document;
        try
        {
            // Before the document: its duplicate-property check already reads the property names.
            if (FirstUndecodableString(body.Span) is { } position)
            {
                return (null, new() { ["body"] = ["has a string or property name with an escaped unpaired surrogate "
                    + $"(\\uD800-\\uDFFF without its pair) at byte {position}"] });
            }
            document = JsonDocument.Parse(body, DocumentOptions);
        }
        catch (JsonException ex)
        {
            return (null, new() { ["body"] = [$"is not valid JSON ({ex.Message})"] });
        }
        catch (InvalidOperationException ex)
        {
            // Text the checks above let through but the parser cannot decode: still the client's body, never a 500.
            return (null, new() { ["body"] = [$"has text that cannot be decoded ({ex.Message})"] });
        }

        using (document)
        {
            var request = Read(document.RootElement, errors);
            return errors.Count == 0
                ? (request, [])
                : (null, errors.ToDictionary(e => e.Key, e => e.Value.ToArray(), StringComparer.Ordinal));
        }
    }

    /// <summary>
    /// JSON is UTF-8 (RFC 8259): a body declared in any other charset is refused rather than misread. Returns why, or
    /// null when the Content-Type names no charset or UTF-8.
    /// </summary>
    public static string? CheckCharset(string? contentType)
    {
        if (!MediaTypeHeaderValue.TryParse(contentType, out var mediaType) || !mediaType.Charset.HasValue)
        {
            return null;
        }
        var charset = HeaderUtilities.RemoveQuotes(mediaType.Charset).ToString();
        return charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase) || charset.Equals("utf8", StringComparison.OrdinalIgnoreCase)
            ? null
            : $"The order must be UTF-8 JSON; the body was declared as charset={charset}. Send Content-Type: application/json (or charset=utf-8).";
    }

    /// <summary>An Idempotency-Key is 1 to 128 visible ASCII characters.</summary>
    public static string? CheckIdempotencyKey(string key) =>
        key.Length is 0 or > OrderRules.MaxIdempotencyKeyLength
            || key.Any(c => c is < OrderRules.FirstIdempotencyKeyChar or > OrderRules.LastIdempotencyKeyChar)
            ? $"must be 1 to {OrderRules.MaxIdempotencyKeyLength} visible ASCII characters"
            : null;

    private static PlaceOrderRequest? Read(JsonElement root, Dictionary<string, List<string>> errors)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            Add(errors, "body", "must be a JSON object with customer_id and items");
            return null;
        }
        RejectUnknownFields(root, "", ["customer_id", "items"], errors);

        var customerId = ReadIdentifier(root, "customer_id", "customer_id", OrderRules.MaxCustomerIdLength, errors);
        var items = ReadItems(root, errors);
        return customerId is null || items is null ? null : new PlaceOrderRequest(customerId, items);
    }

    private static List<OrderLine>? ReadItems(JsonElement root, Dictionary<string, List<string>> errors)
    {
        if (!root.TryGetProperty("items", out var items) || items.ValueKind == JsonValueKind.Null)
        {
            Add(errors, "items", "is required");
            return null;
        }
        if (items.ValueKind != JsonValueKind.Array)
        {
            Add(errors, "items", "must be an array of {product_id, quantity}");
            return null;
        }
        var count = items.GetArrayLength();
        if (count < OrderRules.MinItems)
        {
            Add(errors, "items", "must contain at least one item");
            return null;
        }
        if (count > OrderRules.MaxItems)
        {
            Add(errors, "items", $"must contain at most {OrderRules.MaxItems} items (has {count})");
            return null;
        }

        var lines = new List<OrderLine>(count);
        var firstLineOfProduct = new Dictionary<string, int>(StringComparer.Ordinal);
        var index = 0;
        foreach (var item in items.EnumerateArray())
        {
            var path = $"items[{index}]";
            if (item.ValueKind != JsonValueKind.Object)
            {
                Add(errors, path, "must be an object {product_id, quantity}");
            }
            else
            {
                RejectUnknownFields(item, path + ".", ["product_id", "quantity"], errors);
                var productId = ReadIdentifier(item, "product_id", path + ".product_id", OrderRules.MaxProductIdLength, errors);
                var quantity = ReadQuantity(item, path + ".quantity", errors);
                // Duplicate lines are rejected, not merged: a client sending the same product twice more likely has a bug than an intent.
                if (productId is not null && !firstLineOfProduct.TryAdd(productId, index))
                {
                    Add(errors, path + ".product_id", $"repeats the product of items[{firstLineOfProduct[productId]}]; put the whole quantity on one line");
                }
                if (productId is not null && quantity is not null)
                {
                    lines.Add(new OrderLine(productId, quantity.Value));
                }
            }
            index++;
        }
        return lines.Count == count ? lines : null;
    }

    private static string? ReadIdentifier(JsonElement parent, string name, string path, int maxLength, Dictionary<string, List<string>> errors)
    {
        if (!parent.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            Add(errors, path, "is required");
            return null;
        }
        if (value.ValueKind != JsonValueKind.String)
        {
            Add(errors, path, "must be a string");
            return null;
        }
        var text = value.GetString()!;
        if (string.IsNullOrWhiteSpace(text))
        {
            Add(errors, path, "must not be empty");
        }
        else if (text.Length > maxLength)
        {
            Add(errors, path, $"must be at most {maxLength} characters (has {text.Length})");
        }
        else if (text.EnumerateRunes().Any(OrderRules.IsControl) || OrderRules.IsSpace(Rune.GetRuneAt(text, 0))
            || (Rune.DecodeLastFromUtf16(text, out var last, out _) == OperationStatus.Done && OrderRules.IsSpace(last)))
        {
            Add(errors, path, "must not contain control characters or start or end with white space");
        }
        else if (text.EnumerateRunes().FirstOrDefault(OrderRules.IsInvisible) is { Value: > 0 } invisible)
        {
            // Zero-width spaces, BOMs, bidirectional overrides and the like: invisible, so two ids that look the
            // same would name different customers or products (or one would be displayed reversed).
            Add(errors, path, $"must not contain invisible format characters (has U+{invisible.Value:X4})");
        }
        else
        {
            return text;
        }
        return null;
    }

    private static int? ReadQuantity(JsonElement item, string path, Dictionary<string, List<string>> errors)
    {
        if (!item.TryGetProperty("quantity", out var value) || value.ValueKind == JsonValueKind.Null)
        {
            Add(errors, path, "is required");
        }
        else if (value.ValueKind != JsonValueKind.Number || !value.TryGetDecimal(out var number) || number != decimal.Truncate(number))
        {
            Add(errors, path, "must be a whole number");
        }
        else if (number is < OrderRules.MinQuantity or > OrderRules.MaxQuantity)
        {
            Add(errors, path, $"must be between {OrderRules.MinQuantity} and {OrderRules.MaxQuantity}");
        }
        else
        {
            return (int)number;
        }
        return null;
    }

    /// <summary>
    /// The byte offset of the first string or property name that cannot be decoded (an escaped unpaired surrogate),
    /// or null. Call only on a body known to be valid UTF-8; a body that is not JSON throws <see cref="JsonException"/>.
    /// </summary>
    private static long? FirstUndecodableString(ReadOnlySpan<byte> body)
    {
        var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = DocumentOptions.MaxDepth });
        while (reader.Read())
        {
            if (reader.TokenType is JsonTokenType.String or JsonTokenType.PropertyName && reader.ValueIsEscaped)
            {
                try
                {
                    _ = reader.GetString();
                }
                catch (InvalidOperationException)
                {
                    return reader.TokenStartIndex;
                }
            }
        }
        return null;
    }

    private static void RejectUnknownFields(JsonElement element, string prefix, string[] known, Dictionary<string, List<string>> errors)
    {
        foreach (var property in element.EnumerateObject().Where(p => !known.Contains(p.Name, StringComparer.Ordinal)))
        {
            Add(errors, prefix + property.Name, $"is not a known field (expected {string.Join(", ", known)})");
        }
    }

    private static void Add(Dictionary<string, List<string>> errors, string field, string message)
    {
        if (!errors.TryGetValue(field, out var list))
        {
            errors[field] = list = [];
        }
        list.Add(message);
    }
}
