using System.Text.Json;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using MySqlConnector;
using OrderPipeline.Messaging.Consuming;
using OrderPipeline.Messaging.Events;
using OrderPipeline.Notifier.Notifications;
using OrderPipeline.Tests.Shared;
using OrderPipeline.FunctionalTests.Support;

namespace OrderPipeline.FunctionalTests.Integration;

/// <summary>The Notifier's promise as the README states it: at least once, every line carrying a stable notification_id.</summary>
[Collection(InfrastructureCollection.Name)]
public sealed class NotificationIdTests(InfrastructureFixture infra)
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_line_repeated_after_a_lost_commit_carries_the_same_notification_id_and_a_plain_redelivery_writes_none()
    {
        await using var dataSource = new MySqlDataSource(infra.Database.ConnectionString);
        await using var metrics = new ServiceCollection().AddMetrics().BuildServiceProvider();
        using var telemetry = new NotifierTelemetry(metrics.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>());
        var logger = new CapturingLogger<OrderProcessedHandler>();
        IMessageHandler handler = new OrderProcessedHandler(dataSource, telemetry, TimeProvider.System, logger);
        var orderId = Guid.CreateVersion7().ToString();
        var body = JsonSerializer.Serialize(
            new OrderProcessed(orderId, "id-customer", OrderStatus.Failed, DateTime.UtcNow, DateTime.UtcNow.AddSeconds(-1), "insufficient stock: X"),
            EventJsonContext.Default.OrderProcessed);
        IReadOnlyList<CapturingLogger<OrderProcessedHandler>.Entry> Lines() =>
            [.. logger.Entries.Where(e => e.Fields.TryGetValue("event", out var name) && Equals(name, "OrderNotification"))];

        await handler.HandleAsync(new InboundMessage("first", body, new Dictionary<string, string>(), 1), Cancel);
        // A redelivery after the commit: recognised, no line.
        await handler.HandleAsync(new InboundMessage("second", body, new Dictionary<string, string>(), 2), Cancel);
        Assert.Single(Lines());

        // As if the process had died between writing the line and committing: the record is not there, and the
        // redelivery writes the line again. The reader tells it is the same notification by its id.
        await using (var connection = await dataSource.OpenConnectionAsync(Cancel))
        {
            await connection.ExecuteAsync("DELETE FROM notifications WHERE order_id = @orderId", new { orderId });
        }
        await handler.HandleAsync(new InboundMessage("third", body, new Dictionary<string, string>(), 3), Cancel);

        var lines = Lines();
        Assert.Equal(2, lines.Count);
        var ids = lines.Select(l => l.Fields["notification_id"] as string).ToList();
        Assert.Equal(NotificationIds.For(orderId, OrderStatus.Failed), ids[0]);
        Assert.Equal(ids[0], ids[1]);
        Assert.All(lines, line =>
        {
            Assert.Equal(orderId, line.Fields["order_id"]);
            Assert.Equal("id-customer", line.Fields["customer_id"]);
            Assert.Equal("FAILED", line.Fields["status"]);
            Assert.Equal("insufficient stock: X", line.Fields["reason"]);
            Assert.Contains(ids[0]!, line.Message, StringComparison.Ordinal);
        });
    }

    [Fact]
    public async Task The_notifier_refuses_to_start_with_a_retention_sqs_could_outlast()
    {
        await using var notifier = new ServiceFactory<NotifierTelemetry>(infra.ServiceSettings().With(
            ("Messaging:Consumer:Enabled", "false"), ("Notifications:Retention:RetentionDays", "14")));

        var thrown = Assert.ThrowsAny<Exception>(() => notifier.CreateClient());
        Assert.Contains("RetentionDays", thrown.ToString(), StringComparison.Ordinal);
    }
}
