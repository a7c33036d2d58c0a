using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Eventing;
using Microsoft.Extensions.DependencyInjection;

namespace OrderPipeline.AppHostTests;

/// <summary>
/// What the local run needs installed is looked for when a resource starts, not when the model is built: publishing,
/// deploying or describing the app needs none of it.
/// </summary>
[Trait("Category", "Unit")]
public sealed class LocalPrerequisiteTests
{
    [Fact]
    public async Task An_emulator_not_installed_builds_into_the_model_and_fails_its_start_saying_how_to_install_it()
    {
        var missing = Path.Combine(Path.GetTempPath(), $"no-emulator-{Guid.NewGuid():N}");
        var builder = DistributedApplication.CreateBuilder(new DistributedApplicationOptions { DisableDashboard = true });

        var sqs = builder.AddSqsEmulator("sqs", emulatorDirectory: missing);
        sqs.AddQueue("orders");
        await using var app = builder.Build();

        var eventing = app.Services.GetRequiredService<IDistributedApplicationEventing>();
        var refused = await Assert.ThrowsAsync<DistributedApplicationException>(
            () => eventing.PublishAsync(new BeforeResourceStartedEvent(sqs.Resource, app.Services), TestContext.Current.CancellationToken));
        Assert.Contains(missing, refused.Message, StringComparison.Ordinal);
        Assert.Contains("bash eng/setup.sh", refused.Message, StringComparison.Ordinal);
    }
}
