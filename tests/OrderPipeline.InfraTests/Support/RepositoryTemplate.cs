using OrderPipeline.AppHost.Deployment;
using OrderPipeline.Testing;

namespace OrderPipeline.InfraTests.Support;

/// <summary>The repository's infra/template.yaml, as the infrastructure tests read it.</summary>
internal static class RepositoryTemplate
{
    /// <summary>Gets the path of infra/template.yaml.</summary>
    public static string Path { get; } = System.IO.Path.Combine(RepositoryRoot.Path, "infra", "template.yaml");

    /// <summary>Reads infra/template.yaml.</summary>
    public static CloudFormationTemplate Load() => CloudFormationTemplate.Load(Path);
}
