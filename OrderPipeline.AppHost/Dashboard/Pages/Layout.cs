using System.Net;

namespace OrderPipeline.AppHost.Dashboard.Pages;

/// <summary>The frame every page shares: header, navigation, the live indicator, the shared script and style.</summary>
internal static class Layout
{
    public static string Render(DashboardPage page, IReadOnlyList<DashboardPage> navigation, string? dataAttribute = null) => $$"""
        <!doctype html>
        <html lang="en">
        <head>
          <meta charset="utf-8">
          <meta name="viewport" content="width=device-width, initial-scale=1">
          <meta name="color-scheme" content="light dark">
          <title>{{WebUtility.HtmlEncode(page.NavTitle)}} · OrderPipeline</title>
          <link rel="stylesheet" href="/assets/dashboard.css">
        </head>
        <body data-page="{{page.Name}}"{{dataAttribute}}>
          <header>
            <span class="brand">OrderPipeline</span>
            <nav>
              {{string.Join("\n      ", navigation.Select(n => $"<a href=\"{n.Path}\"{(n.Name == page.Name || (page.Name == "trace" && n.Name == "traces") ? " class=\"active\" aria-current=\"page\"" : "")}>{n.NavTitle}</a>"))}}
            </nav>
            <span id="live" class="live">connecting…</span>
          </header>
          <main>
        {{page.Body}}
          </main>
          <script src="/assets/dashboard.js"></script>
          <script src="/assets/{{page.Name}}.js"></script>
        </body>
        </html>
        """;
}
