using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace OrderPipeline.FunctionalTests.Support;

/// <summary>A logger that keeps each record's structured fields, as an OpenTelemetry exporter would see them.</summary>
public sealed class CapturingLogger<T> : ILogger<T>
{
    public sealed record Entry(EventId EventId, LogLevel Level, string Message, IReadOnlyDictionary<string, object?> Fields);

    public ConcurrentQueue<Entry> Entries { get; } = new();

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        var fields = state is IEnumerable<KeyValuePair<string, object?>> pairs
            ? pairs.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal)
            : new Dictionary<string, object?>(StringComparer.Ordinal);
        Entries.Enqueue(new Entry(eventId, logLevel, formatter(state, exception), fields));
    }
}
