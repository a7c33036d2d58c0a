using OrderPipeline.Testing;

namespace OrderPipeline.InfraTests.Support;

/// <summary>The text of infra/package.sh and infra/deploy.sh, which together build and deploy, for checks that read them.</summary>
public static class DeploymentScripts
{
    /// <summary>Both scripts, line continuations joined, so that each command is one line.</summary>
    public static string Text { get; } = string.Concat(
            File.ReadAllText(Path.Combine(RepositoryRoot.Path, "infra", "package.sh")),
            File.ReadAllText(Path.Combine(RepositoryRoot.Path, "infra", "deploy.sh")))
        .Replace("\\\n", " ", StringComparison.Ordinal);
}
