using System.Text.Json;
using Microsoft.Extensions.Configuration;

namespace OrderPipeline.Aws;

/// <summary>
/// Writes a figure as one CloudWatch embedded-metric-format line on stdout, where Lambda's log capture turns it into a
/// metric with no agent and no API call. Written raw: the JSON console logger would wrap it and CloudWatch would not
/// see the format. Off (writes nothing) unless <c>Metrics:CloudWatchNamespace</c> is set, as it is only in AWS.
/// </summary>
public sealed class EmbeddedMetrics(IConfiguration configuration, TextWriter? output = null)
{
    private readonly TextWriter _output = output ?? Console.Out;
    private readonly Lock _gate = new();

    public bool Enabled => !string.IsNullOrEmpty(configuration["Metrics:CloudWatchNamespace"]);

    public void Write(string metric, double value, string unit, DateTimeOffset timestamp)
    {
        var ns = configuration["Metrics:CloudWatchNamespace"];
        if (string.IsNullOrEmpty(ns))
        {
            return;
        }
        var environment = configuration["Metrics:Environment"] ?? "";
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartObject("_aws");
            json.WriteNumber("Timestamp", timestamp.ToUnixTimeMilliseconds());
            json.WriteStartArray("CloudWatchMetrics");
            json.WriteStartObject();
            json.WriteString("Namespace", ns);
            json.WriteStartArray("Dimensions");
            json.WriteStartArray();
            json.WriteStringValue("Environment");
            json.WriteEndArray();
            json.WriteEndArray();
            json.WriteStartArray("Metrics");
            json.WriteStartObject();
            json.WriteString("Name", metric);
            json.WriteString("Unit", unit);
            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteEndObject();
            json.WriteString("Environment", environment);
            json.WriteNumber(metric, Math.Round(value, 3));
            json.WriteEndObject();
        }
        var line = System.Text.Encoding.UTF8.GetString(buffer.ToArray());
        lock (_gate)
        {
            _output.WriteLine(line);
            _output.Flush();
        }
    }
}
