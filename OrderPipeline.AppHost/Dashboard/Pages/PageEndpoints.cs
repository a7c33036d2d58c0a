using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace OrderPipeline.AppHost.Dashboard.Pages;

/// <summary>Serves the pages, their scripts and the stylesheet; all of it fixed text, compiled in.</summary>
internal static class PageEndpoints
{
    private const string Html = "text/html; charset=utf-8";
    private const string JavaScript = "text/javascript; charset=utf-8";
    private const string Css = "text/css; charset=utf-8";

    public static readonly IReadOnlyList<DashboardPage> Navigation =
        [ResourcesPage.Page, ConsolePage.Page, TracesPage.Page, LogsPage.Page, MetricsPage.Page, PipelinePage.Page];

    public static void MapPages(this IEndpointRouteBuilder endpoints)
    {
        foreach (var page in Navigation)
        {
            var html = Layout.Render(page, Navigation);
            endpoints.MapGet(page.Path, () => Results.Content(html, Html));
        }
        endpoints.MapGet("/traces/{traceId}", (string traceId) =>
            Results.Content(Layout.Render(TracePage.Page, Navigation, $" data-trace=\"{WebUtility.HtmlEncode(traceId)}\""), Html));

        foreach (var page in Navigation.Append(TracePage.Page))
        {
            endpoints.MapGet($"/assets/{page.Name}.js", () => Results.Content(page.Script, JavaScript));
        }
        endpoints.MapGet("/assets/dashboard.js", () => Results.Content(SharedScript.Js, JavaScript));
        endpoints.MapGet("/assets/dashboard.css", () => Results.Content(Styles.Css, Css));
        // The login page's style sits under /login, the only path served without the session cookie.
        endpoints.MapGet("/login/style.css", () => Results.Content(Styles.Css, Css));
    }
}
