using System.Globalization;
using Google.Protobuf;
using Google.Protobuf.Collections;
using OrderPipeline.AppHost.Dashboard.Otlp.Proto;
using OrderPipeline.AppHost.Dashboard.Telemetry;

namespace OrderPipeline.AppHost.Dashboard.Otlp;

/// <summary>Turns OTLP's wire types (AnyValue, byte ids, nanosecond clocks) into the plain values the stores keep.</summary>
internal static class OtlpValues
{
    // Attribute values are for reading on a page: anything longer is cut rather than kept whole.
    private const int MaxValueLength = 4096;

    public static string Text(AnyValue? value)
    {
        var text = value?.ValueCase switch
        {
            AnyValue.ValueOneofCase.StringValue => value.StringValue,
            AnyValue.ValueOneofCase.BoolValue => value.BoolValue ? "true" : "false",
            AnyValue.ValueOneofCase.IntValue => value.IntValue.ToString(CultureInfo.InvariantCulture),
            AnyValue.ValueOneofCase.DoubleValue => value.DoubleValue.ToString(CultureInfo.InvariantCulture),
            AnyValue.ValueOneofCase.ArrayValue => "[" + string.Join(", ", value.ArrayValue.Values.Select(Text)) + "]",
            AnyValue.ValueOneofCase.KvlistValue => "{" + string.Join(", ", value.KvlistValue.Values.Select(kv => kv.Key + ": " + Text(kv.Value))) + "}",
            AnyValue.ValueOneofCase.BytesValue => Convert.ToBase64String(value.BytesValue.Span),
            _ => "",
        };
        return text.Length > MaxValueLength ? text[..MaxValueLength] + "…" : text;
    }

    public static IReadOnlyList<TelemetryAttribute> Attributes(RepeatedField<KeyValue> attributes) =>
        attributes.Count == 0 ? [] : [.. attributes.Select(a => new TelemetryAttribute(a.Key, Text(a.Value)))];

    /// <summary>Lower-case hex, as trace ids appear in traceparent headers; null for an absent id.</summary>
    public static string? Id(ByteString id) => id.IsEmpty ? null : Convert.ToHexStringLower(id.Span);

    public static DateTimeOffset Time(ulong unixNanos) =>
        DateTimeOffset.UnixEpoch.AddTicks((long)(unixNanos / 100));

    /// <summary>The service a batch came from: service.name, which the AppHost sets to the resource's name.</summary>
    public static string ServiceName(Proto.Resource? resource)
    {
        var name = resource?.Attributes.FirstOrDefault(a => a.Key == "service.name");
        return name is null ? "unknown" : Text(name.Value);
    }

    public static string? ServiceInstance(Proto.Resource? resource)
    {
        var instance = resource?.Attributes.FirstOrDefault(a => a.Key == "service.instance.id");
        return instance is null ? null : Text(instance.Value);
    }
}
