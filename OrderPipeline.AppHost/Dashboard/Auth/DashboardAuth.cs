using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using OrderPipeline.AppHost.Dashboard.Pages;

namespace OrderPipeline.AppHost.Dashboard.Auth;

/// <summary>
/// Login with the token (<c>/login?t=TOKEN</c>), then a session cookie for everything else: pages without it
/// get the login page, APIs and streams a bare 401. State-changing calls also need a header a cross-site
/// form cannot send, on top of the SameSite=Strict cookie.
/// </summary>
internal sealed class DashboardAuth(DashboardToken token)
{
    public const string CookieName = "orderpipeline-dashboard";
    public const string ActionHeader = "X-Dashboard-Action";

    public bool IsSignedIn(HttpContext context) =>
        context.Request.Cookies.TryGetValue(CookieName, out var session) && token.MatchesSession(session);

    public void MapLogin(IEndpointRouteBuilder endpoints) =>
        endpoints.MapGet("/login", (HttpContext context, string? t) =>
        {
            if (t is null)
            {
                return LoginPage(context, StatusCodes.Status200OK, error: null);
            }
            if (!token.Matches(t))
            {
                return LoginPage(context, StatusCodes.Status401Unauthorized, "That token is not this run's. Use the link the AppHost printed.");
            }
            context.Response.Cookies.Append(CookieName, token.Session, new CookieOptions
            {
                HttpOnly = true,
                SameSite = SameSiteMode.Strict,
                Path = "/",
                IsEssential = true,
            });
            // Off the URL at once, so the token does not stay in the address bar or the history.
            return Results.Redirect("/");
        });

    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        var path = context.Request.Path;
        if (path.StartsWithSegments("/login") || path.StartsWithSegments("/v1"))
        {
            await next(context).ConfigureAwait(false); // /v1: OTLP, guarded by LocalOnly instead.
            return;
        }
        if (!IsSignedIn(context))
        {
            if (path.StartsWithSegments("/api") || path.StartsWithSegments("/assets"))
            {
                context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                return;
            }
            await LoginPage(context, StatusCodes.Status401Unauthorized, error: null).ExecuteAsync(context).ConfigureAwait(false);
            return;
        }
        if (!HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method) && !context.Request.Headers.ContainsKey(ActionHeader))
        {
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            return;
        }
        await next(context).ConfigureAwait(false);
    }

    private static IResult LoginPage(HttpContext context, int status, string? error)
    {
        context.Response.StatusCode = status;
        return Results.Content(LoginView.Render(error), "text/html; charset=utf-8", statusCode: status);
    }
}
