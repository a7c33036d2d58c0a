using System.Net;
using System.Text.Json;
using Amazon.SQS.Model;
using Microsoft.Playwright;
using OrderPipeline.Messaging.Events;
using OrderPipeline.Messaging.Telemetry;
using OrderPipeline.Tests.EndToEnd;
using OrderPipeline.Tests.Support;
using static Microsoft.Playwright.Assertions;

namespace OrderPipeline.Tests.Dashboard;

/// <summary>The dashboard as a person uses it, in headless Chromium, against the whole running system.</summary>
[Collection(DashboardCollection.Name)]
public sealed class DashboardBrowserTests(DashboardFixture system)
{
    private static readonly string[] AllResources = ["mysql", "sqs", "processor", "notifier", "api"];
    private static readonly LocatorAssertionsToHaveCountOptions Settle = new() { Timeout = 60_000 };

    [Fact]
    public async Task Without_the_token_there_is_only_the_login_page_and_a_wrong_token_is_refused()
    {
        var page = await system.AnonymousPageAsync();

        var resources = await page.GotoAsync(system.UrlOf("/"));
        Assert.Equal((int)HttpStatusCode.Unauthorized, resources!.Status);
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Log in" })).ToBeVisibleAsync();
        await Expect(page.Locator("nav")).ToHaveCountAsync(0);

        var api = await page.Context.APIRequest.GetAsync(system.UrlOf("/api/resources"));
        Assert.Equal((int)HttpStatusCode.Unauthorized, api.Status);

        var wrong = await page.GotoAsync(system.UrlOf("/login?t=" + new string('f', 32)));
        Assert.Equal((int)HttpStatusCode.Unauthorized, wrong!.Status);
        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("not this run's");
        Assert.Empty(await page.Context.CookiesAsync());

        // Pasting the right token into the login form signs in.
        await page.Locator("#t").FillAsync(system.Dashboard.Token.Value);
        await page.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
        await Expect(page.Locator("nav a.active")).ToHaveTextAsync("Resources");
        var cookie = Assert.Single(await page.Context.CookiesAsync());
        Assert.True(cookie.HttpOnly);
        Assert.Equal(SameSiteAttribute.Strict, cookie.SameSite);
        Assert.DoesNotContain(system.Dashboard.Token.Value, page.Url, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Signed_in_the_resources_page_shows_every_resource_healthy_with_its_endpoints()
    {
        var page = await system.SignedInPageAsync();

        await Expect(page).ToHaveURLAsync(system.UrlOf("/"));
        await Expect(page.Locator("#resources tbody tr")).ToHaveCountAsync(AllResources.Length);
        foreach (var name in AllResources)
        {
            var row = page.Locator($"tr[data-resource='{name}']");
            await Expect(row).ToHaveAttributeAsync("data-state", "healthy");
            await Expect(row).ToHaveAttributeAsync("data-health", "healthy");
        }
        var apiUrl = system.App.GetResource<AppHost.Resources.ProjectResource>("api").HttpUrl!;
        await Expect(page.Locator($"tr[data-resource='api'] a[href='{apiUrl}']")).ToBeVisibleAsync();
        await Expect(page.Locator("#live")).ToHaveTextAsync("live");
    }

    [Fact]
    public async Task The_notifier_can_be_stopped_started_and_restarted_from_the_resources_page()
    {
        var page = await system.SignedInPageAsync();
        var notifier = system.App.GetResource<AppHost.Resources.ProjectResource>("notifier");
        var row = page.Locator("tr[data-resource='notifier']");
        var slow = new LocatorAssertionsToHaveAttributeOptions { Timeout = 60_000 };
        await Expect(row).ToHaveAttributeAsync("data-state", "healthy", slow);

        await row.Locator("button[data-action='stop']").ClickAsync();
        await Expect(row).ToHaveAttributeAsync("data-state", "stopped", slow);
        Assert.Null(notifier.ProcessId);

        await row.Locator("button[data-action='start']").ClickAsync();
        await Expect(row).ToHaveAttributeAsync("data-state", "healthy", slow);
        var started = notifier.ProcessId;
        Assert.NotNull(started);

        await row.Locator("button[data-action='restart']").ClickAsync();
        await Eventually.AssertAsync(() => Task.FromResult(notifier.ProcessId is { } pid && pid != started && notifier.State == AppHost.Hosting.ResourceState.Healthy),
            TimeSpan.FromSeconds(60), "the notifier to come back as a new process");
        await Expect(row).ToHaveAttributeAsync("data-state", "healthy", slow);
    }

    [Fact]
    public async Task An_order_placed_through_the_api_is_one_trace_through_all_three_services()
    {
        var product = await system.Database.AddProductAsync(10, "DASH");
        var orderId = await system.Api.PlaceAcceptedAsync("customer-dashboard", (product, 2));
        await system.Api.WaitSettledAsync(orderId);
        var page = await system.SignedInPageAsync();

        // The order transaction span carries order.id, so the order id finds its trace (and the GET polls'
        // traces, whose URLs hold it): exactly one trace starts at the POST.
        await page.GotoAsync(system.UrlOf("/traces?q=" + orderId));
        var row = page.Locator("#traces tbody tr[data-trace]").Filter(new() { HasTextString = "POST /api/orders" });
        await Expect(row).ToHaveCountAsync(1, Settle);
        await Expect(row.Locator(".chip")).ToHaveTextAsync(["api", "processor", "notifier"], new() { Timeout = 60_000 });
        await row.GetByRole(AriaRole.Link).ClickAsync();

        var waterfall = page.Locator("#waterfall tbody");
        foreach (var service in new[] { "api", "processor", "notifier" })
        {
            await Expect(waterfall.Locator($"tr[data-service='{service}']").First).ToBeVisibleAsync(new() { Timeout = 60_000 });
        }
        foreach (var span in new[] { "POST /api/orders", "order-created publish", "order-created process", "order transaction", "order-processed publish", "order-processed process" })
        {
            await Expect(waterfall.Locator("td.label", new() { HasTextString = span }).First).ToBeVisibleAsync(new() { Timeout = 60_000 });
        }

        // A span's attributes show when it is selected.
        await waterfall.Locator("td.label", new() { HasTextString = "order transaction" }).First.ClickAsync();
        await Expect(page.Locator("#details")).ToContainTextAsync(orderId);
    }

    [Fact]
    public async Task A_dead_lettered_order_redriven_from_the_pipeline_page_is_processed()
    {
        var product = await system.Database.AddProductAsync(5, "DLQ");
        var orderId = Guid.NewGuid().ToString();
        var queue = system.App.GetResource<AppHost.Resources.SqsQueueResource>("order-created");
        var created = new OrderCreated(orderId, "customer-redrive", [new OrderLine(product, 1)], DateTime.UtcNow);
        await system.SqsClient.SendMessageAsync(new SendMessageRequest(queue.DeadLetterUrl, JsonSerializer.Serialize(created, EventJsonContext.Default.OrderCreated))
        {
            MessageAttributes = new() { [MessagingTelemetry.EventTypeAttribute] = new MessageAttributeValue { DataType = "String", StringValue = OrderCreated.EventType } },
        }, TestContext.Current.CancellationToken);
        var page = await system.SignedInPageAsync();

        await page.GotoAsync(system.UrlOf("/pipeline"));
        var row = page.Locator("#queues tr[data-queue='order-created']");
        await Expect(row).Not.ToHaveAttributeAsync("data-dlq-visible", "0");
        await row.GetByRole(AriaRole.Button, new() { Name = "Peek DLQ" }).ClickAsync();
        await Expect(page.Locator("#dlq-messages")).ToContainTextAsync(orderId);

        await row.GetByRole(AriaRole.Button, new() { Name = "Redrive DLQ" }).ClickAsync();
        await Expect(page.Locator("#action-result")).ToContainTextAsync("Redrove");
        await Expect(page.Locator($"#orders tr[data-order='{orderId}']")).ToHaveAttributeAsync("data-status", "PROCESSED", new() { Timeout = 60_000 });
        Assert.Equal(4, await system.Database.StockAsync(product));
    }

    [Fact]
    public async Task Every_page_renders_live_data_and_is_captured_as_a_screenshot()
    {
        // Some traffic to look at: processed orders and one that fails for want of stock.
        var product = await system.Database.AddProductAsync(50, "SHOT");
        var scarce = await system.Database.AddProductAsync(1, "SHOT");
        string[] orders =
        [
            await system.Api.PlaceAcceptedAsync("customer-ada", (product, 2)),
            await system.Api.PlaceAcceptedAsync("customer-grace", (product, 1), (scarce, 1)),
            await system.Api.PlaceAcceptedAsync("customer-linus", (scarce, 5)),
        ];
        foreach (var order in orders)
        {
            await system.Api.WaitSettledAsync(order);
        }
        // Metrics are exported every 5 s: wait for two exports that include these orders, so the charts have lines.
        await Eventually.AssertAsync(
            () => Task.FromResult(system.Dashboard.Metrics.Series("orderpipeline.orders.settled").Any(s => s.Sums.Count >= 2)),
            TimeSpan.FromSeconds(60), "settled-order metrics");
        var traceId = (await Eventually.GetAsync(
            () => Task.FromResult(new TraceCandidates(system.Dashboard.Traces.List(orders[0], includeBackground: true, 1000))),
            c => c.Whole is not null, TimeSpan.FromSeconds(60), "the first order's whole trace")).Whole;
        var folder = ScreenshotFolder();
        var page = await system.SignedInPageAsync();

        await Shoot(page, "/", "#resources tr[data-health='healthy']", "resources");
        await Shoot(page, "/console", "#console .line", "console");
        await Shoot(page, "/traces", "#traces tr[data-trace]", "traces");
        await Shoot(page, "/traces/" + traceId!.TraceId, "#waterfall tr[data-service='notifier']", "trace", async () =>
            await page.Locator("#waterfall td.label", new() { HasTextString = "order transaction" }).First.ClickAsync());
        await Shoot(page, "/logs", "#logs tr[data-log]", "logs");
        await Shoot(page, "/metrics", "section[data-metric] svg.chart", "metrics");
        await Shoot(page, "/pipeline", "#orders tr[data-order]", "pipeline", async () =>
            await page.Locator("#queues tr[data-queue='order-created']").GetByRole(AriaRole.Button, new() { Name = "Peek DLQ" }).ClickAsync());

        var dark = await system.SignedInPageAsync(ColorScheme.Dark);
        await Shoot(dark, "/traces/" + traceId.TraceId, "#waterfall tr[data-service='notifier']", "trace-dark");

        async Task Shoot(IPage on, string path, string ready, string name, Func<Task>? then = null)
        {
            await on.GotoAsync(system.UrlOf(path));
            await Expect(on.Locator(ready).First).ToBeVisibleAsync(new() { Timeout = 60_000 });
            if (then is not null)
            {
                await then();
            }
            var file = Path.Combine(folder, name + ".png");
            await on.ScreenshotAsync(new PageScreenshotOptions { Path = file, FullPage = false });
            Assert.True(new FileInfo(file).Length > 10_000, $"{file} looks empty");
        }
    }

    /// <summary>docs/screenshots when asked for (ORDERPIPELINE_SCREENSHOTS=1), else a temporary folder: test runs do not touch the tree.</summary>
    private static string ScreenshotFolder()
    {
        var folder = Environment.GetEnvironmentVariable("ORDERPIPELINE_SCREENSHOTS") == "1"
            ? Path.Combine(AppHost.Hosting.AppHostOptions.FindRepositoryRoot(), "docs", "screenshots")
            : Path.Combine(Path.GetTempPath(), "orderpipeline-screenshots");
        Directory.CreateDirectory(folder);
        return folder;
    }
}

/// <summary>The traces an order id finds; printed whole when a wait for the order's complete trace times out.</summary>
internal sealed record TraceCandidates(IReadOnlyList<AppHost.Dashboard.Telemetry.TraceSummary> Traces)
{
    public AppHost.Dashboard.Telemetry.TraceSummary? Whole =>
        Traces.FirstOrDefault(t => t.Name.StartsWith("POST /api/orders", StringComparison.Ordinal) && t.Services.Count == 3);

    public override string ToString() =>
        string.Join("; ", Traces.Select(t => $"{t.Name} [{string.Join(",", t.Services)}] {t.SpanCount} spans"));
}
