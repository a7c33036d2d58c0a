using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace OrderPipeline.AppHost.Lambda;

/// <summary>
/// A Kestrel server in the AppHost's process, on a loopback port, that runs one request handler: what the local
/// stand-ins for AWS endpoints (the HTTP API, a sandbox's Extensions API) are served by.
/// </summary>
internal static class LoopbackServer
{
    /// <summary>Starts serving <paramref name="handler"/> on <paramref name="port"/> (0: any free port; see <see cref="PortOf"/>).</summary>
    public static async Task<WebApplication> StartAsync(int port, RequestDelegate handler, long? maxRequestBodySize, CancellationToken cancellationToken)
    {
        // The empty builder reads no configuration, environment or appsettings (the AppHost's ASPNETCORE_URLS is the
        // dashboard's), logs nowhere, and does not take over the process's Ctrl+C: the AppHost's lifetime governs.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = typeof(LoopbackServer).Assembly.GetName().Name });
        builder.Services.AddSingleton<IHostLifetime, PassiveLifetime>();
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Loopback, port);
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = maxRequestBodySize;
        });
        var app = builder.Build();
        app.Run(handler);
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return app;
    }

    /// <summary>The port a started server listens on.</summary>
    public static int PortOf(WebApplication app) =>
        new Uri(app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First()).Port;

    /// <summary>Stops the server, waiting at most <paramref name="grace"/> for requests under way.</summary>
    public static async Task StopAsync(WebApplication app, TimeSpan grace)
    {
        using var timeout = new CancellationTokenSource(grace);
        await app.StopAsync(timeout.Token).ConfigureAwait(false);
        await app.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Neither stops the server on a signal nor waits for one: the server is stopped by its owner.</summary>
    private sealed class PassiveLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
