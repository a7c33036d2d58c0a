using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using OrderPipeline.AppHost.Supervision;

namespace Aspire.Hosting;

/// <summary>
/// Provides extension methods for restarting resources that exit on their own.
/// </summary>
public static class AutoRestartExtensions
{
    /// <summary>
    /// Starts the resource again when it exits on its own (a crash, a kill, an exit the AppHost did not ask for),
    /// after 1 s, then 2, 4, ... up to 30 s; the count starts over once it is healthy again, and after
    /// <paramref name="maxConsecutiveRestarts"/> restarts that never got healthy the AppHost leaves it stopped.
    /// A stop from the dashboard, and the AppHost's own shutdown, are respected.
    /// </summary>
    /// <typeparam name="T">The type of the resource.</typeparam>
    /// <param name="builder">The resource builder.</param>
    /// <param name="maxConsecutiveRestarts">Restarts in a row without the resource becoming healthy, before giving up; at least 1.</param>
    /// <returns>A reference to the <see cref="IResourceBuilder{T}"/>.</returns>
    public static IResourceBuilder<T> WithAutoRestart<T>(this IResourceBuilder<T> builder, int maxConsecutiveRestarts = 10) where T : IResource
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxConsecutiveRestarts, 1);

        builder.ApplicationBuilder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, ResourceSupervisor>());
        return builder.WithAnnotation(new AutoRestartAnnotation(maxConsecutiveRestarts, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30)),
            ResourceAnnotationMutationBehavior.Replace);
    }
}
