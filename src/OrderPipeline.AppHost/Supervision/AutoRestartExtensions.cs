using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace OrderPipeline.AppHost.Supervision;

public static class AutoRestartExtensions
{
    /// <summary>
    /// Starts the resource again when it exits on its own (a crash, a kill, an exit the AppHost did not ask for),
    /// after 1 s, then 2, 4, ... up to 30 s; the count starts over once it is healthy again, and after
    /// <paramref name="maxConsecutiveRestarts"/> restarts that never got healthy the AppHost leaves it stopped.
    /// A stop from the dashboard, and the AppHost's own shutdown, are respected.
    /// </summary>
    public static IResourceBuilder<T> WithAutoRestart<T>(this IResourceBuilder<T> builder, int maxConsecutiveRestarts = 10) where T : IResource
    {
        builder.ApplicationBuilder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, ResourceSupervisor>());
        return builder.WithAnnotation(new AutoRestartAnnotation(maxConsecutiveRestarts, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30)),
            ResourceAnnotationMutationBehavior.Replace);
    }
}
