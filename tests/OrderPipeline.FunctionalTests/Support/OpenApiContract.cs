using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;

namespace OrderPipeline.FunctionalTests.Support;

/// <summary>
/// The Api's OpenAPI document as it serves it, read as plain JSON and judged by an independent JSON Schema validator
/// (JsonSchema.Net, 2020-12, formats asserted), not by the ASP.NET code that wrote it: so a test that holds real
/// requests and responses against it checks the document, not the generator's idea of it.
/// </summary>
public sealed class OpenApiContract(JsonObject document)
{
    public const string DocumentPath = "/openapi/v1.json";

    private static readonly EvaluationOptions Evaluation = new() { OutputFormat = OutputFormat.List, RequireFormatValidation = true };

    private readonly Dictionary<string, JsonSchema> _built = [];

    public JsonObject Document { get; } = document;

    public static async Task<OpenApiContract> FetchAsync(HttpClient client, CancellationToken cancellationToken)
    {
        using var response = await client.GetAsync(DocumentPath, cancellationToken);
        response.EnsureSuccessStatusCode();
        var document = JsonNode.Parse(await response.Content.ReadAsStringAsync(cancellationToken))?.AsObject()
            ?? throw new InvalidOperationException("The OpenAPI document is not a JSON object.");
        return new OpenApiContract(document);
    }

    public JsonObject Operation(string method, string path) =>
        Document["paths"]?[path]?[method]?.AsObject() ?? throw new InvalidOperationException($"The document has no {method} {path}.");

    /// <summary>The response an operation documents for a status, or null when it documents none.</summary>
    public JsonObject? Response(string method, string path, int status) =>
        Operation(method, path)["responses"]?[status.ToString(CultureInfo.InvariantCulture)]?.AsObject();

    public JsonObject Parameter(string method, string path, string name) =>
        Operation(method, path)["parameters"]?.AsArray().OfType<JsonObject>().FirstOrDefault(p => (string?)p["name"] == name)
            ?? throw new InvalidOperationException($"{method} {path} documents no parameter {name}.");

    public JsonObject ComponentSchema(string name) =>
        Document["components"]?["schemas"]?[name]?.AsObject() ?? throw new InvalidOperationException($"The document has no schema {name}.");

    /// <summary>The JSON body an operation accepts, as a validator.</summary>
    public JsonSchema RequestSchema(string method, string path) =>
        Build(Operation(method, path)["requestBody"]?["content"]?["application/json"]?["schema"]
            ?? throw new InvalidOperationException($"{method} {path} documents no application/json request body."));

    /// <summary>The schema of a response's body in a media type; fails when the document does not declare that status or media type.</summary>
    public JsonSchema ResponseSchema(string method, string path, int status, string mediaType)
    {
        var response = Response(method, path, status) ?? throw new InvalidOperationException($"{method} {path} documents no {status} response.");
        return Build(response["content"]?[mediaType]?["schema"]
            ?? throw new InvalidOperationException($"{method} {path} documents no {mediaType} body for {status}."));
    }

    public JsonSchema ParameterSchema(string method, string path, string name) =>
        Build(Parameter(method, path, name)["schema"] ?? throw new InvalidOperationException($"Parameter {name} has no schema."));

    /// <summary>
    /// A validator for a schema of the document: the document's component schemas become <c>$defs</c> and its
    /// <c>#/components/schemas/</c> references point there, so the schema stands alone as JSON Schema 2020-12 (OpenAPI 3.1's dialect).
    /// </summary>
    public JsonSchema Build(JsonNode schema)
    {
        var key = schema.ToJsonString();
        if (_built.TryGetValue(key, out var built))
        {
            return built;
        }
        var root = new JsonObject
        {
            ["$schema"] = "https://json-schema.org/draft/2020-12/schema",
            ["$defs"] = Rewrite(Document["components"]?["schemas"] ?? new JsonObject()),
        };
        if (Rewrite(schema) is JsonObject own)
        {
            foreach (var (name, value) in own.ToList())
            {
                own.Remove(name);
                root[name] = value;
            }
        }
        return _built[key] = JsonSchema.FromText(root.ToJsonString());
    }

    /// <summary>Null when <paramref name="instance"/> is valid, else every error with where it is.</summary>
    public static string? Check(JsonSchema schema, JsonNode? instance)
    {
        using var json = JsonDocument.Parse(instance?.ToJsonString() ?? "null");
        return Check(schema, json.RootElement);
    }

    public static string? Check(JsonSchema schema, JsonElement instance)
    {
        var results = schema.Evaluate(instance, Evaluation);
        if (results.IsValid)
        {
            return null;
        }
        var errors = (results.Details ?? []).Prepend(results)
            .Where(d => d.Errors is { Count: > 0 })
            .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Key}: {e.Value}"));
        return string.Join("; ", errors.DefaultIfEmpty("invalid"));
    }

    private static JsonNode? Rewrite(JsonNode? node) => node switch
    {
        JsonObject obj => new JsonObject(obj.Select(p => KeyValuePair.Create(p.Key,
            p.Key == "$ref" && (string?)p.Value is { } reference && reference.StartsWith("#/components/schemas/", StringComparison.Ordinal)
                ? JsonValue.Create("#/$defs/" + reference["#/components/schemas/".Length..])
                : Rewrite(p.Value)))),
        JsonArray array => new JsonArray([.. array.Select(Rewrite)]),
        _ => node?.DeepClone(),
    };
}
