using Microsoft.AspNetCore.Http;

namespace OrderPipeline.AppHost.Dashboard.Auth;

/// <summary>No framing, no inline script, no referrer (links to the services must not carry dashboard URLs), no caching.</summary>
internal static class SecurityHeaders
{
    public static Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        var headers = context.Response.Headers;
        headers.ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'";
        headers.XFrameOptions = "DENY";
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        headers.CacheControl = "no-store";
        return next(context);
    }
}
