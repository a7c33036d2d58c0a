using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Amazon.SQS.Model;
using Microsoft.Playwright;
using OrderPipeline.Messaging.Events;
using OrderPipeline.Tests.Shared;

namespace OrderPipeline.DashboardTests;

/// <summary>
/// The real Aspire dashboard, driven in headless Chromium the way a person uses it: log in with the printed link,
/// read the resources, follow an order's trace, redrive a dead-letter queue from the resource menu.
/// </summary>
[Collection(DashboardCollection.Name)]
public sealed partial class DashboardBrowserTests(DashboardFixture system)
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(60);

    private static readonly (string Name, string State)[] ExpectedResources =
    [
        ("mysql", "Running"), ("orders", "Running"),
        ("sqs", "Running"), ("order-created", "Running"), ("order-created-dlq", "Running"),
        ("order-processed", "Running"), ("order-processed-dlq", "Running"),
        ("migrations", "Finished"), ("api", "Running"), ("processor", "Running"), ("notifier", "Running"),
    ];

    [Fact]
    public async Task The_login_link_opens_the_resources_page_with_every_resource_running_and_healthy()
    {
        var page = await system.LoggedInPageAsync();

        await Assertions.Expect(page).ToHaveURLAsync(new Regex("^[^?]*/$"));
        foreach (var (name, state) in ExpectedResources)
        {
            var row = ResourceRow(page, name);
            // A state cell's accessible name is its tooltip. "Running" is the tooltip only while the resource is
            // also healthy (the cell reads "Running (Unhealthy)" otherwise); a finished one explains itself instead.
            var stateCell = state == "Running"
                ? row.GetByRole(AriaRole.Gridcell, new() { Name = "Running", Exact = true })
                : row.GetByRole(AriaRole.Gridcell).Filter(new() { HasTextRegex = new Regex($@"^\s*{state}\s*$") });
            await Assertions.Expect(stateCell).ToHaveTextAsync(state);
        }
        await Assertions.Expect(page.GetByText("Showing 11 resources")).ToBeVisibleAsync();

        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task An_order_s_trace_holds_spans_of_the_api_the_processor_and_the_notifier()
    {
        var product = await system.Database.AddProductAsync(10);
        var traceId = ActivityTraceId.CreateRandom();
        var orderId = await PlaceTracedOrderAsync(traceId, "customer-dashboard-trace", product);
        Assert.Equal("PROCESSED", (await system.Api.WaitSettledAsync(orderId, (int)Settle.TotalSeconds)).GetProperty("status").GetString());

        var page = await system.LoggedInPageAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "Traces", Exact = true }).ClickAsync();
        // Each service exports on its own schedule: wait until the Notifier's spans have joined the trace.
        var row = await TraceRowAsync(page, traceId, "notifier");
        await row.ClickAsync();

        await Assertions.Expect(page).ToHaveURLAsync(new Regex($"/traces/detail/{traceId}$"));
        foreach (var service in new[] { "api", "processor", "notifier" })
        {
            // The waterfall's resource column: one cell per span, named after the service that recorded it.
            await Assertions.Expect(page.GetByRole(AriaRole.Gridcell, new() { Name = service, Exact = true }).First).ToBeVisibleAsync();
        }
        await Assertions.Expect(page.GetByRole(AriaRole.Gridcell, new() { Name = "order transaction", Exact = false }).First).ToBeVisibleAsync();
        await DashboardFixture.ScreenshotAsync(page, "trace.png");

        if (DashboardFixture.SaveScreenshots)
        {
            // The dashboard's default theme follows the browser's preferred colour scheme.
            var dark = await system.LoggedInPageAsync(ColorScheme.Dark);
            await dark.GotoAsync($"/traces/detail/{traceId}");
            await Assertions.Expect(dark.GetByRole(AriaRole.Gridcell, new() { Name = "notifier", Exact = true }).First).ToBeVisibleAsync();
            await DashboardFixture.ScreenshotAsync(dark, "trace-dark.png");
            await dark.Context.CloseAsync();
        }
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Console_structured_logs_and_metrics_show_what_the_services_report()
    {
        var product = await system.Database.AddProductAsync(10);
        var orderId = await PlaceTracedOrderAsync(ActivityTraceId.CreateRandom(), "customer-dashboard-logs", product);
        Assert.Equal("PROCESSED", (await system.Api.WaitSettledAsync(orderId, (int)Settle.TotalSeconds)).GetProperty("status").GetString());
        var page = await system.LoggedInPageAsync();

        // The Notifier's line is the one an order writes at Information (the Processor's is at Debug).
        var notification = $"order {orderId} for customer customer-dashboard-logs is PROCESSED";
        await page.GotoAsync("/consolelogs/resource/notifier");
        await Assertions.Expect(page.GetByText(notification).First).ToBeVisibleAsync();
        await DashboardFixture.ScreenshotAsync(page, "console.png");

        await page.GetByRole(AriaRole.Link, new() { Name = "Structured logs", Exact = true }).ClickAsync();
        // Structured logs arrive by OTLP, on the exporter's schedule rather than with the console line.
        await Assertions.Expect(page.GetByText(notification).First).ToBeVisibleAsync(new() { Timeout = (float)Settle.TotalMilliseconds });
        await DashboardFixture.ScreenshotAsync(page, "logs.png");

        await page.GotoAsync("/metrics/resource/processor");
        // The instrument tree's items are custom elements that take the click for their inner text; pick them by title.
        await page.Locator("fluent-tree-item[title='orderpipeline.order.time_to_processed']").ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("instrument=orderpipeline.order.time_to_processed"));
        await Assertions.Expect(page.GetByText("From the order's acceptance by the Api to its commit as PROCESSED or FAILED.")).ToBeVisibleAsync();
        // The chart draws after the data arrives; its legend appears with it.
        await Assertions.Expect(page.GetByText("P50 Seconds").First).ToBeVisibleAsync();
        await DashboardFixture.ScreenshotAsync(page, "metrics.png");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Redriving_order_created_dlq_from_the_resource_menu_processes_the_parked_order_and_empties_the_queue()
    {
        var product = await system.Database.AddProductAsync(5);
        var orderId = Guid.CreateVersion7().ToString();
        var parked = new OrderCreated(orderId, "customer-dashboard-redrive", [new OrderLine(product, 2)], DateTime.UtcNow);
        var deadLetterUrl = (await system.SqsClient.GetQueueUrlAsync("order-created-dlq", TestContext.Current.CancellationToken)).QueueUrl;
        await system.SqsClient.SendMessageAsync(new SendMessageRequest(deadLetterUrl, JsonSerializer.Serialize(parked, EventJsonContext.Default.OrderCreated))
        {
            MessageAttributes = new() { ["event_type"] = new MessageAttributeValue { DataType = "String", StringValue = OrderCreated.EventType } },
        }, TestContext.Current.CancellationToken);

        var page = await system.LoggedInPageAsync();
        var queue = ResourceRow(page, "order-created-dlq");
        await NameCell(queue, "order-created-dlq").ClickAsync();
        // The details panel lists properties as rows of a grid: name, then value.
        var visible = page.GetByRole(AriaRole.Row).Filter(new() { HasText = "Visible messages" }).GetByRole(AriaRole.Gridcell).Last;
        await Assertions.Expect(visible).ToHaveTextAsync("1");
        await DashboardFixture.ScreenshotAsync(page, "resources.png");
        Assert.Null(await system.Database.StatusAsync(orderId));

        // Fluent's dialog buttons are custom elements without an ARIA role in the DOM Playwright reads.
        var yes = page.Locator("fluent-dialog").Filter(new() { HasText = "Send every message in order-created-dlq back to order-created" })
            .Locator("fluent-button", new() { HasTextRegex = new Regex(@"^\s*Yes\s*$") });
        // The grid re-renders each time the queue monitor refreshes the properties (every 3 s); a menu item clicked as
        // that happens opens nothing. So the menu is opened again, a few times, until the confirmation shows.
        for (var attempt = 1; ; attempt++)
        {
            await queue.GetByRole(AriaRole.Button, new() { Name = "Actions" }).ClickAsync();
            await page.GetByRole(AriaRole.Menuitem, new() { Name = "Redrive to source queue" }).ClickAsync();
            try
            {
                await Assertions.Expect(yes).ToBeVisibleAsync(new() { Timeout = 10_000 });
                break;
            }
            catch (PlaywrightException) when (attempt < 4)
            {
                await page.Keyboard.PressAsync("Escape");
            }
        }
        await yes.ClickAsync();
        await Assertions.Expect(page.GetByText("\"Redrive to source queue\" succeeded")).ToBeVisibleAsync();

        await Eventually.AssertAsync(async () => await system.Database.StatusAsync(orderId) == "PROCESSED", Settle,
            $"the redriven order {orderId} to be PROCESSED");
        Assert.Equal(3, await system.Database.StockAsync(product));
        // The queue monitor refreshes the live property every few seconds.
        await Assertions.Expect(visible).ToHaveTextAsync("0");
        await page.Context.CloseAsync();
    }

    /// <summary>Places an order as an instrumented client would, so its trace id is known beforehand.</summary>
    private async Task<string> PlaceTracedOrderAsync(ActivityTraceId traceId, string customerId, string productId)
    {
        var body = new JsonObject
        {
            ["customer_id"] = customerId,
            ["items"] = new JsonArray(new JsonObject { ["product_id"] = productId, ["quantity"] = 1 }),
        };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/orders") { Content = JsonContent.Create(body) };
        request.Headers.Add("traceparent", $"00-{traceId}-{ActivitySpanId.CreateRandom()}-01");
        using var response = await system.Api.SendAsync(request, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return await OrderClient.OrderIdOf(response);
    }

    /// <summary>A resource's name cell is named "{type}: {name}", e.g. "SQS queue: order-created-dlq".</summary>
    private static Regex NameCellPattern(string resourceName) => new($"^[^:]+: {Regex.Escape(resourceName)}$");

    private static ILocator ResourceRow(IPage page, string resourceName) =>
        page.GetByRole(AriaRole.Row).Filter(new() { Has = page.GetByRole(AriaRole.Gridcell, new() { NameRegex = NameCellPattern(resourceName) }) });

    private static ILocator NameCell(ILocator row, string resourceName) =>
        row.GetByRole(AriaRole.Gridcell, new() { NameRegex = NameCellPattern(resourceName) });

    /// <summary>
    /// The traces list's row of a trace once it shows <paramref name="text"/>. Under load the dashboard's page
    /// sometimes dies with "An unhandled error has occurred" and an empty list: its data grid's after-render step uses
    /// a JavaScript object the grid already disposed (ObjectDisposedException in FluentDataGrid's
    /// UpdateColumnInteractionsAsync, reproduced with a benchmark loading the machine), which ends the page's circuit.
    /// Then the page is reloaded, as a person would, and the browser's errors go to the test output.
    /// </summary>
    private static async Task<ILocator> TraceRowAsync(IPage page, ActivityTraceId traceId, string text)
    {
        var errors = new List<string>();
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                errors.Add(message.Text);
            }
        };
        var deadline = DateTime.UtcNow + Settle;
        // The list's name cell carries the full trace id in its accessible name; the row shows only 7 characters.
        var row = page.GetByRole(AriaRole.Row).Filter(new() { Has = page.GetByRole(AriaRole.Gridcell, new() { Name = $"Trace Id: {traceId}" }) });
        while (true)
        {
            try
            {
                await Assertions.Expect(row).ToContainTextAsync(text, new() { Timeout = 10_000 });
                return row;
            }
            catch (PlaywrightException) when (DateTime.UtcNow < deadline)
            {
                if (await page.GetByText("An unhandled error has occurred.").IsVisibleAsync())
                {
                    TestContext.Current.TestOutputHelper?.WriteLine($"The dashboard's page failed; reloading it. Browser errors: {string.Join(" | ", errors)}");
                    errors.Clear();
                    await page.ReloadAsync();
                }
            }
        }
    }
}
