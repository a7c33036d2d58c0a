using System.Collections.Concurrent;
using System.Globalization;
using System.IO.Compression;
using System.Text;
using Microsoft.AspNetCore.Builder;
using OrderPipeline.AppHost.Lambda;

namespace OrderPipeline.FunctionalTests.Support;

/// <summary>A span as an OTLP export carries it, with the service that sent it.</summary>
public sealed record OtlpSpan(string Service, string Scope, string TraceId, string SpanId, string ParentSpanId, string Name);

/// <summary>A log record as an OTLP export carries it; <see cref="TraceId"/> is empty outside a trace.</summary>
public sealed record OtlpLogRecord(string Service, string Scope, int Severity, string TraceId, string Body)
{
    /// <summary>OTLP's SeverityNumber of INFO: Information and above are 9 or more.</summary>
    public const int Information = 9;
}

/// <summary>
/// An OTLP/HTTP collector on a loopback port that keeps the spans and log records the services export (protobuf),
/// decoded by a minimal wire-format reader: the few fields a test asserts on, nothing else.
/// </summary>
public sealed class OtlpCollector : IAsyncDisposable
{
    private readonly ConcurrentQueue<OtlpSpan> _spans = new();
    private readonly ConcurrentQueue<OtlpLogRecord> _logs = new();
    private readonly ConcurrentDictionary<string, int> _requests = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _unreadable = new();
    private WebApplication? _server;

    public Uri Endpoint { get; private set; } = null!;

    public IReadOnlyList<OtlpSpan> Spans => [.. _spans];

    public IReadOnlyList<OtlpLogRecord> Logs => [.. _logs];

    public static async Task<OtlpCollector> StartAsync(CancellationToken cancellationToken)
    {
        var collector = new OtlpCollector();
        collector._server = await LoopbackServer.StartAsync(0, async context =>
        {
            collector._requests.AddOrUpdate(context.Request.Path.Value ?? "", 1, (_, count) => count + 1);
            try
            {
                await collector.ReceiveAsync(context);
            }
            catch (Exception ex)
            {
                collector._unreadable.Enqueue($"{context.Request.Path.Value}: {ex.GetType().Name}: {ex.Message}");
                throw;
            }
        }, maxRequestBodySize: null, cancellationToken);
        collector.Endpoint = new Uri($"http://127.0.0.1:{LoopbackServer.PortOf(collector._server).ToString(CultureInfo.InvariantCulture)}");
        return collector;
    }

    /// <summary>
    /// What arrived, whatever its trace: the requests per path, the spans and log records per service, and the requests
    /// that could not be read. A test prints it when what it waited for never came.
    /// </summary>
    public string Summary()
    {
        static string PerService<T>(IEnumerable<T> items, Func<T, string> service) =>
            string.Join(", ", items.GroupBy(service).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key} {g.Count()}"));
        var requests = string.Join(", ", _requests.OrderBy(r => r.Key, StringComparer.Ordinal).Select(r => $"{r.Key} {r.Value}"));
        return $"The collector received: requests {requests}; spans {PerService(_spans, s => s.Service)}; "
            + $"log records {PerService(_logs, l => l.Service)}; unreadable requests {_unreadable.Count}"
            + string.Concat(_unreadable.Take(5).Select(u => "\n  " + u));
    }

    private async Task ReceiveAsync(Microsoft.AspNetCore.Http.HttpContext context)
    {
        using var body = new MemoryStream();
        var request = context.Request.Headers.ContentEncoding == "gzip"
            ? new GZipStream(context.Request.Body, CompressionMode.Decompress)
            : context.Request.Body;
        await request.CopyToAsync(body, context.RequestAborted);
        switch (context.Request.Path.Value)
        {
            case "/v1/traces":
                ReadTraces(body.ToArray());
                break;
            case "/v1/logs":
                ReadLogs(body.ToArray());
                break;
            default:
                break; // Metrics: not asserted on.
        }
        // An empty body is a full success (an empty ExportServiceResponse).
        context.Response.ContentType = "application/x-protobuf";
    }

    /// <summary>Forgets the spans and log records received so far (the system's start-up); the request counts stay.</summary>
    public void Clear()
    {
        _spans.Clear();
        _logs.Clear();
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await LoopbackServer.StopAsync(_server, TimeSpan.FromSeconds(1));
        }
    }

    // ExportTraceServiceRequest.resource_spans=1 -> ResourceSpans{resource=1, scope_spans=2} -> ScopeSpans{scope=1, spans=2}
    // -> Span{trace_id=1, span_id=2, parent_span_id=4, name=5}.
    private void ReadTraces(byte[] request)
    {
        foreach (var resourceSpans in Fields(request, 1))
        {
            var service = ServiceName(resourceSpans);
            foreach (var scopeSpans in Fields(resourceSpans, 2))
            {
                var scope = ScopeName(scopeSpans);
                foreach (var span in Fields(scopeSpans, 2))
                {
                    _spans.Enqueue(new OtlpSpan(service, scope, Hex(Field(span, 1)), Hex(Field(span, 2)), Hex(Field(span, 4)), Text(Field(span, 5))));
                }
            }
        }
    }

    // ExportLogsServiceRequest.resource_logs=1 -> ResourceLogs{resource=1, scope_logs=2} -> ScopeLogs{scope=1, log_records=2}
    // -> LogRecord{severity_number=2, body=5 (AnyValue), trace_id=9}.
    private void ReadLogs(byte[] request)
    {
        foreach (var resourceLogs in Fields(request, 1))
        {
            var service = ServiceName(resourceLogs);
            foreach (var scopeLogs in Fields(resourceLogs, 2))
            {
                var scope = ScopeName(scopeLogs);
                foreach (var record in Fields(scopeLogs, 2))
                {
                    var severity = (int)Varints(record, 2).FirstOrDefault();
                    _logs.Enqueue(new OtlpLogRecord(service, scope, severity, Hex(Field(record, 9)), Text(Field(Field(record, 5), 1))));
                }
            }
        }
    }

    // Resource{attributes=1: KeyValue{key=1, value=2: AnyValue{string_value=1}}}.
    private static string ServiceName(ReadOnlyMemory<byte> resourceOwner) =>
        Fields(Field(resourceOwner, 1), 1).Where(kv => Text(Field(kv, 1)) == "service.name")
            .Select(kv => Text(Field(Field(kv, 2), 1))).FirstOrDefault() ?? "";

    // InstrumentationScope{name=1}, field 1 of ScopeSpans and ScopeLogs.
    private static string ScopeName(ReadOnlyMemory<byte> scoped) => Text(Field(Field(scoped, 1), 1));

    private static string Text(ReadOnlyMemory<byte> bytes) => Encoding.UTF8.GetString(bytes.Span);

    private static string Hex(ReadOnlyMemory<byte> bytes) => Convert.ToHexStringLower(bytes.Span);

    private static ReadOnlyMemory<byte> Field(ReadOnlyMemory<byte> message, int number) => Fields(message, number).FirstOrDefault();

    /// <summary>The length-delimited fields numbered <paramref name="number"/> of a message.</summary>
    private static IEnumerable<ReadOnlyMemory<byte>> Fields(ReadOnlyMemory<byte> message, int number) =>
        WireFields(message).Where(f => f.Number == number && f.WireType == 2).Select(f => f.Bytes);

    private static IEnumerable<ulong> Varints(ReadOnlyMemory<byte> message, int number) =>
        WireFields(message).Where(f => f.Number == number && f.WireType == 0).Select(f => f.Value);

    private static List<(int Number, int WireType, ulong Value, ReadOnlyMemory<byte> Bytes)> WireFields(ReadOnlyMemory<byte> message)
    {
        var fields = new List<(int, int, ulong, ReadOnlyMemory<byte>)>();
        var bytes = message.Span;
        var position = 0;
        while (position < bytes.Length)
        {
            var key = ReadVarint(bytes, ref position);
            var (number, wireType) = ((int)(key >> 3), (int)(key & 7));
            switch (wireType)
            {
                case 0:
                    fields.Add((number, wireType, ReadVarint(bytes, ref position), default));
                    break;
                case 1:
                    position += 8;
                    break;
                case 2:
                    var length = (int)ReadVarint(bytes, ref position);
                    fields.Add((number, wireType, 0, message.Slice(position, length)));
                    position += length;
                    break;
                case 5:
                    position += 4;
                    break;
                default:
                    throw new InvalidDataException($"Unexpected protobuf wire type {wireType} (field {number}).");
            }
        }
        return fields;
    }

    private static ulong ReadVarint(ReadOnlySpan<byte> bytes, ref int position)
    {
        ulong value = 0;
        for (var shift = 0; ; shift += 7)
        {
            var b = bytes[position++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }
    }
}
