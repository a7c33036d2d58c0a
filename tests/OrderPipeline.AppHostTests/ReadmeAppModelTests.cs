using OrderPipeline.Testing;

namespace OrderPipeline.AppHostTests;

/// <summary>The README's "The app model" shows the AppHost's Program.cs as it is, not as it was.</summary>
[Trait("Category", "Unit")]
public sealed class ReadmeAppModelTests
{
    private const string ProgramPath = "src/OrderPipeline.AppHost/Program.cs";

    [Fact]
    public void The_readme_shows_Program_cs_verbatim()
    {
        var readme = Lines(File.ReadAllText(Path.Combine(RepositoryRoot.Path, "README.md")));
        var program = Lines(File.ReadAllText(Path.Combine(RepositoryRoot.Path, ProgramPath)));

        var mention = Array.FindIndex(readme, line => line.Contains($"`{ProgramPath}`", StringComparison.Ordinal));
        Assert.True(mention >= 0, $"README.md names no `{ProgramPath}`");
        var open = Array.FindIndex(readme, mention + 1, line => line.StartsWith("```", StringComparison.Ordinal));
        Assert.True(open > mention && readme[open] == "```csharp", $"no ```csharp block follows the line naming {ProgramPath}");
        var close = Array.FindIndex(readme, open + 1, line => line == "```");
        Assert.True(close > open, "the csharp block is not closed");

        // Compared line by line, so that a failure names the first line that differs.
        Assert.Equal(program, readme[(open + 1)..close]);
    }

    private static string[] Lines(string text) => text.ReplaceLineEndings("\n").TrimEnd('\n').Split('\n');
}
