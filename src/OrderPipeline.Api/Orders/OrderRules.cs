using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.Json.Serialization;
using OrderPipeline.Messaging.Events;

namespace OrderPipeline.Api.Orders;

/// <summary>
/// The limits an order must keep: the validator enforces them and the OpenAPI document states them
/// (<see cref="OrdersApiDocument"/>), both from here, so a rule changed here changes both.
/// </summary>
public static class OrderRules
{
    public const int MaxBodyBytes = 16 * 1024;
    public const int MaxCustomerIdLength = 64;
    public const int MaxProductIdLength = 64;
    public const int MinItems = 1;
    public const int MaxItems = 50;
    public const int MinQuantity = 1;
    public const int MaxQuantity = 1000;
    public const int MaxIdempotencyKeyLength = 128;

    /// <summary>An Idempotency-Key is made of the visible ASCII characters, '!' to '~'.</summary>
    public const char FirstIdempotencyKeyChar = '!';
    public const char LastIdempotencyKeyChar = '~';

    /// <summary>
    /// Identifiers (customer_id, product_id) may contain no control character (Unicode Cc) anywhere: they end up in
    /// logs, messages and columns where a newline or a NUL would forge or cut a line.
    /// </summary>
    public static bool IsControl(Rune rune) => Rune.IsControl(rune);

    /// <summary>
    /// Nor an invisible format character (Unicode Cf: zero-width spaces, BOMs, bidirectional overrides): two ids
    /// that look the same would name different customers or products, or one would be displayed reversed.
    /// </summary>
    public static bool IsInvisible(Rune rune) => Rune.GetUnicodeCategory(rune) == UnicodeCategory.Format;

    /// <summary>Nor start or end with white space: "c-1 " and "c-1" would look like one id and be two.</summary>
    public static bool IsSpace(Rune rune) => Rune.IsWhiteSpace(rune);

    /// <summary>The values an order's status takes, as they appear in JSON (read from <see cref="OrderStatus"/>, the one list).</summary>
    public static IReadOnlyList<string> StatusValues { get; } =
        [.. typeof(OrderStatus).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Select(field => field.GetCustomAttribute<JsonStringEnumMemberNameAttribute>()?.Name ?? field.Name)];

    /// <summary>The status of an order just accepted.</summary>
    public static string AcceptedStatus { get; } = StatusValues[(int)OrderStatus.Pending];
}
