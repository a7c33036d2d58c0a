namespace OrderPipeline.AppHost.Dashboard.Pages;

/// <summary>
/// One page: a static skeleton and the script that fills it from the JSON APIs and keeps it live.
/// Scripts are served as files (/assets/{Name}.js) so the content security policy can forbid inline script.
/// </summary>
internal sealed record DashboardPage(string Name, string Path, string NavTitle, string Body, string Script);
