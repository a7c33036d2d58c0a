using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using OrderPipeline.AppHost.ProjectResources;

namespace OrderPipeline.AppHostTests;

/// <summary>Where WithBuiltProgram finds a project resource's program: the project's own build output, as the AppHost's build recorded it.</summary>
[Trait("Category", "Unit")]
public sealed class BuiltProgramTests
{
    private static readonly System.Reflection.Assembly AppHostAssembly = typeof(Projects.OrderPipeline_AppHost).Assembly;

    public static TheoryData<string> ProjectPaths =>
    [
        new Projects.OrderPipeline_Migrations().ProjectPath,
        new Projects.OrderPipeline_Api().ProjectPath,
        new Projects.OrderPipeline_Processor().ProjectPath,
        new Projects.OrderPipeline_Notifier().ProjectPath,
    ];

    [Theory]
    [MemberData(nameof(ProjectPaths))]
    public void Each_project_resources_program_is_the_executable_beside_its_build_output(string projectPath)
    {
        var targetPath = BuiltPrograms.TargetPathOf(AppHostAssembly, projectPath);
        var program = BuiltPrograms.Find(AppHostAssembly, projectPath, out var notFound);

        Assert.NotNull(targetPath);
        Assert.True(File.Exists(targetPath), $"{targetPath} does not exist");
        Assert.Equal(Path.GetFileNameWithoutExtension(projectPath) + ".dll", Path.GetFileName(targetPath));
        Assert.True(program is not null, notFound);
        Assert.True(File.Exists(program));
        Assert.Equal(Path.GetDirectoryName(targetPath), Path.GetDirectoryName(program));
        Assert.Equal(Path.GetFileNameWithoutExtension(projectPath) + (OperatingSystem.IsWindows() ? ".exe" : ""), Path.GetFileName(program));
    }

    [Fact]
    public void A_project_the_AppHost_recorded_no_build_output_for_has_no_program_and_says_why()
    {
        var elsewhere = Path.Combine(Path.GetTempPath(), "Elsewhere", "Elsewhere.csproj");

        Assert.Null(BuiltPrograms.Find(AppHostAssembly, elsewhere, out var notFound));
        Assert.Contains(elsewhere, notFound, StringComparison.Ordinal);
        // An assembly without the AppHost's records knows no project at all.
        Assert.Null(BuiltPrograms.Find(typeof(BuiltProgramTests).Assembly, new Projects.OrderPipeline_Api().ProjectPath, out _));
    }

    [Fact]
    public void A_project_without_a_recorded_program_is_left_to_dotnet_run()
    {
        // An app model whose AppHost assembly (here the tests') has no records: Aspire's own launch stays.
        var builder = DistributedApplication.CreateBuilder(new DistributedApplicationOptions
        {
            AssemblyName = typeof(BuiltProgramTests).Assembly.GetName().Name,
            DisableDashboard = true,
        });

        var api = builder.AddProject("api", new Projects.OrderPipeline_Api().ProjectPath).WithBuiltProgram();

        Assert.False(api.Resource.TryGetLastAnnotation<ExecutableAnnotation>(out var executable)
                && executable.Command.Contains("OrderPipeline.Api", StringComparison.Ordinal),
            "the project got a program to run directly");
    }
}
