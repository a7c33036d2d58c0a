using System.Net;

namespace OrderPipeline.AppHost.Dashboard.Pages;

/// <summary>All that is shown without the session cookie: where to find the token, and a box to paste it.</summary>
internal static class LoginView
{
    public static string Render(string? error) => $$"""
        <!doctype html>
        <html lang="en">
        <head>
          <meta charset="utf-8">
          <meta name="viewport" content="width=device-width, initial-scale=1">
          <meta name="color-scheme" content="light dark">
          <title>Log in · OrderPipeline dashboard</title>
          <link rel="stylesheet" href="/login/style.css">
        </head>
        <body class="login">
          <main>
            <h1>OrderPipeline dashboard</h1>
            <p>Open the link the AppHost printed when it started (<code>dashboard: http://127.0.0.1:…/login?t=…</code>), or paste its token here.</p>
            {{(error is null ? "" : $"<p class=\"error\" role=\"alert\">{WebUtility.HtmlEncode(error)}</p>")}}
            <form method="get" action="/login">
              <label for="t">Token</label>
              <input id="t" name="t" type="password" autocomplete="off" required autofocus>
              <button type="submit">Log in</button>
            </form>
          </main>
        </body>
        </html>
        """;
}
