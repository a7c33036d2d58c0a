using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace OrderPipeline.Migrations;

/// <summary>One versioned migration, <c>db/migrations/NNNN_name.sql</c>, embedded in this program.</summary>
public sealed partial record MigrationScript(int Version, string Name, string Sql)
{
    private const string ResourcePrefix = "db.migrations.";

    /// <summary>The SHA-256 of the script, recorded when it is applied, so that editing an applied script is caught.</summary>
    public string Checksum { get; } = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Sql.ReplaceLineEndings("\n"))));

    /// <summary>Every embedded migration, in the order it is applied.</summary>
    public static IReadOnlyList<MigrationScript> Embedded()
    {
        var assembly = typeof(MigrationScript).Assembly;
        var scripts = assembly.GetManifestResourceNames()
            .Where(name => name.StartsWith(ResourcePrefix, StringComparison.Ordinal))
            .Select(name => Parse(name[ResourcePrefix.Length..], ReadResource(name)))
            .OrderBy(script => script.Version)
            .ToList();
        var repeated = scripts.GroupBy(s => s.Version).FirstOrDefault(g => g.Count() > 1);
        return repeated is null
            ? scripts
            : throw new InvalidOperationException($"Two migrations have the number {repeated.Key}: {string.Join(", ", repeated.Select(s => s.Name))}.");
    }

    /// <param name="fileName">e.g. <c>0002_idempotency_keys.sql</c>.</param>
    public static MigrationScript Parse(string fileName, string sql)
    {
        var match = FileNamePattern().Match(fileName);
        return match.Success
            ? new MigrationScript(int.Parse(match.Groups["version"].Value, CultureInfo.InvariantCulture), match.Groups["name"].Value, sql)
            : throw new InvalidOperationException($"A migration's file name must read NNNN_name.sql; {fileName} does not.");
    }

    internal static string ReadResource(string name)
    {
        using var stream = typeof(MigrationScript).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"The embedded script {name} is missing.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    [GeneratedRegex(@"^(?<version>\d{4})_(?<name>[a-z0-9_]+)\.sql$")]
    private static partial Regex FileNamePattern();
}
