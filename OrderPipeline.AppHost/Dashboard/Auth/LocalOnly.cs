using System.Net;
using Microsoft.AspNetCore.Http;

namespace OrderPipeline.AppHost.Dashboard.Auth;

/// <summary>
/// The dashboard listens on loopback only; this also refuses requests whose Host header names another site
/// (a DNS-rebinding page pointed at 127.0.0.1), and OTLP posts from anything but a loopback address.
/// </summary>
internal sealed class LocalOnly(int port)
{
    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        var host = context.Request.Host;
        if (host.Host is not ("127.0.0.1" or "localhost" or "[::1]") || (host.Port is { } p && p != port))
        {
            context.Response.StatusCode = StatusCodes.Status421MisdirectedRequest;
            return;
        }
        if (context.Request.Path.StartsWithSegments("/v1") && context.Connection.RemoteIpAddress is { } remote && !IPAddress.IsLoopback(remote))
        {
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            return;
        }
        await next(context).ConfigureAwait(false);
    }
}
