using System.Security.Cryptography;
using Amazon.SQS;
using Aspire.Hosting;
using Aspire.Hosting.Testing;
using Microsoft.Playwright;
using OrderPipeline.Testing;
using OrderPipeline.Tests.Shared;

namespace OrderPipeline.DashboardTests;

/// <summary>
/// The whole system with the real Aspire dashboard, served over plain HTTP on loopback as in the AppHost's launch
/// profile, and a headless Chromium (Debian's, since Playwright's own browser download does not work here).
/// </summary>
public sealed class DashboardFixture : IAsyncLifetime
{
    /// <summary>Under load the first paint of a Blazor page and the first telemetry export each take seconds.</summary>
    public static readonly TimeSpan UiTimeout = TimeSpan.FromSeconds(60);

    private static readonly string[] ChromiumFlags =
    [
        "--no-sandbox", // root in the container
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        // Without these Chromium keeps dialling outside hosts and floods the log with refused connections.
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ];

    private PipelineSystem? _host;
    private IPlaywright? _playwright;

    /// <summary>Known to the test, unlike the one Aspire would generate: the login link is built from it.</summary>
    public string BrowserToken { get; } = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    public Uri DashboardUrl { get; private set; } = null!;

    public DistributedApplication App => _host!.App;

    public HttpClient Api { get; private set; } = null!;

    public PipelineDatabase Database { get; private set; } = null!;

    public IAmazonSQS SqsClient { get; private set; } = null!;

    public IBrowser Browser { get; private set; } = null!;

    public static bool SaveScreenshots => Environment.GetEnvironmentVariable("ORDERPIPELINE_SCREENSHOTS") == "1";

    public async ValueTask InitializeAsync()
    {
        // The dashboard on plain HTTP and loopback ports of its own (see PipelineSystem), and two settings more.
        _host = await PipelineSystem.StartAsync(new PipelineSystemOptions
        {
            Dashboard = true,
            Args =
            [
                // Empty, or Aspire.Hosting.Testing adds an OTLP/gRPC listener on the fixed localhost:4317.
                "--ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL=",
                $"--ASPIRE_DASHBOARD_FRONTEND_BROWSERTOKEN={BrowserToken}",
            ],
        });

        Api = App.CreateHttpClient("api", "http");
        Database = new PipelineDatabase(_host.ConnectionString);
        SqsClient = _host.CreateSqsClient();

        // Aspire.Hosting.Testing has DCP put every endpoint on a random port (DcpPublisher:RandomizePorts), the
        // dashboard's among them, so ask where it ended up; this also waits for the dashboard to be healthy.
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(UiTimeout);
        var loginLink = await App.GetDashboardUrlAsync(timeout.Token);
        Assert.Equal($"?t={BrowserToken}", loginLink.Query);
        DashboardUrl = new Uri(loginLink.GetLeftPart(UriPartial.Authority));

        _playwright = await Playwright.CreateAsync();
        // Playwright gives each launch a fresh, empty profile directory of its own.
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args = ChromiumFlags,
        });
    }

    /// <summary>A new browser tab, logged in the way the AppHost's printed link logs a person in.</summary>
    public async Task<IPage> LoggedInPageAsync(ColorScheme colorScheme = ColorScheme.Light)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = DashboardUrl.ToString(),
            ViewportSize = new ViewportSize { Width = 1600, Height = 1000 },
            ColorScheme = colorScheme,
        });
        context.SetDefaultTimeout((float)UiTimeout.TotalMilliseconds);
        context.SetDefaultNavigationTimeout((float)UiTimeout.TotalMilliseconds);
        // Expect() has its own default of 5 s, too short for the console's backlog to stream in on a loaded machine.
        Assertions.SetDefaultExpectTimeout((float)UiTimeout.TotalMilliseconds);
        var page = await context.NewPageAsync();
        await page.GotoAsync($"/login?t={BrowserToken}");
        // A good token redirects away from /login; a bad one leaves the login form on screen.
        await page.WaitForURLAsync(url => !new Uri(url).AbsolutePath.StartsWith("/login", StringComparison.Ordinal));
        return page;
    }

    public static async Task ScreenshotAsync(IPage page, string fileName)
    {
        if (!SaveScreenshots)
        {
            return;
        }
        var directory = Path.Combine(RepositoryRoot.Path, "docs", "screenshots");
        Directory.CreateDirectory(directory);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(directory, fileName) });
    }


    public async ValueTask DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }
        _playwright?.Dispose();
        Api?.Dispose();
        SqsClient?.Dispose();
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
    }
}

/// <summary>
/// Run alone, after the other collections: a browser, a dashboard and a third whole system beside two others on two
/// cores made the dashboard's telemetry arrive too late for the UI's deadlines.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class DashboardCollection : ICollectionFixture<DashboardFixture>
{
    public const string Name = "the Aspire dashboard in a browser";
}
