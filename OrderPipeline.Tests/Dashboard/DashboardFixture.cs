using Amazon.SQS;
using Microsoft.Playwright;
using OrderPipeline.AppHost.Dashboard;
using OrderPipeline.AppHost.Hosting;
using OrderPipeline.AppHost.Resources;
using OrderPipeline.Tests.Support;

namespace OrderPipeline.Tests.Dashboard;

/// <summary>
/// The whole system with its dashboard, started through the AppHost's own Program, and one headless Chromium
/// (Debian's, at /usr/bin/chromium) for the tests to drive it with.
/// </summary>
public sealed class DashboardFixture : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";

    // Flags that keep Chromium from reaching out to the internet (refused on these machines) or to a GPU.
    // Playwright gives each browser a fresh, empty profile directory (--user-data-dir) of its own.
    private static readonly string[] ChromiumArgs =
        ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

    private readonly AppHostOptions _options = TestOptions.Create("dash") with { EnableDashboard = true };
    private TestingApplication? _app;
    private IPlaywright? _playwright;

    public DistributedApplication App => _app!.App;

    public DashboardServer Dashboard => App.Dashboard!;

    public HttpClient Api { get; private set; } = null!;

    public PipelineDatabase Database { get; private set; } = null!;

    public IAmazonSQS SqsClient { get; private set; } = null!;

    public IBrowser Browser { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            // Fail, never skip: a missing browser must not look like a passing dashboard.
            throw new InvalidOperationException($"Chromium is not installed at {ChromiumPath}: run 'bash eng/setup.sh' (it installs Debian's chromium package).");
        }
        _app = await DistributedApplicationTesting.StartAsync(typeof(SqsResource).Assembly, _options, TestContext.Current.CancellationToken);
        Api = _app.CreateHttpClient("api");
        Database = new PipelineDatabase(_app.GetConnectionString("orders"));
        SqsClient = App.GetResource<SqsResource>("sqs").CreateClient();
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ChromiumArgs,
        });
    }

    /// <summary>A fresh browser context (its own cookies) signed in with the printed login URL.</summary>
    public async Task<IPage> SignedInPageAsync(ColorScheme colorScheme = ColorScheme.Light)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = 1440, Height = 900 },
            ColorScheme = colorScheme,
        });
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(30_000);
        await page.GotoAsync(Dashboard.LoginUrl);
        return page;
    }

    public async Task<IPage> AnonymousPageAsync()
    {
        var context = await Browser.NewContextAsync();
        return await context.NewPageAsync();
    }

    public string UrlOf(string path) => new Uri(Dashboard.Url, path).ToString();

    public async ValueTask DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }
        _playwright?.Dispose();
        Api?.Dispose();
        SqsClient?.Dispose();
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
        TestOptions.DeleteData(_options);
    }
}

[CollectionDefinition(Name)]
public sealed class DashboardCollection : ICollectionFixture<DashboardFixture>
{
    public const string Name = "dashboard in headless Chromium";
}
