using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using OrderPipeline.Messaging.Events;
using OrderPipeline.Notifier.Notifications;
using OrderPipeline.Tests.Shared;
using OrderPipeline.FunctionalTests.Support;

namespace OrderPipeline.FunctionalTests.Integration;

/// <summary>The real Notifier app against the real MariaDB, reached the AWS Lambda way (POST /events).</summary>
[Collection(InfrastructureCollection.Name)]
public sealed class NotifierServiceTests(InfrastructureFixture infra)
{
    [Fact]
    public async Task Post_events_notifies_each_order_once_and_reports_only_invalid_messages()
    {
        await using var notifier = new ServiceFactory<NotifierTelemetry>(infra.ServiceSettings().With(("Messaging:Consumer:Enabled", "false")));
        using var client = notifier.CreateClient();
        var orderId = Guid.CreateVersion7().ToString();
        var settled = JsonSerializer.Serialize(
            new OrderProcessed(orderId, "notify-me", OrderStatus.Failed, DateTime.UtcNow, DateTime.UtcNow.AddSeconds(-1), "insufficient stock: X"),
            EventJsonContext.Default.OrderProcessed);

        var sqsEvent = LambdaEvents.Sqs("order-processed",
            ("n-1", settled),
            ("n-bad", """{"order_id":"x","status":7}"""),
            ("n-again", settled));
        using var response = await client.PostAsync(
            "/events",
            new StringContent(sqsEvent, Encoding.UTF8, "application/json"),
            TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
        Assert.Equal(["n-bad"], body.GetProperty("batchItemFailures").EnumerateArray().Select(f => f.GetProperty("itemIdentifier").GetString()));
        Assert.Equal(1, await infra.Database.CountAsync("SELECT COUNT(*) FROM notifications WHERE order_id = @orderId AND status = 'FAILED'", new { orderId }));
    }
}
