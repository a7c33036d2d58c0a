using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Amazon.SQS.Model;
using Dapper;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using MySqlConnector;
using OrderPipeline.Processor.Orders;
using OrderPipeline.Processor.Outbox;
using OrderPipeline.Tests.Shared;
using OrderPipeline.FunctionalTests.Support;
using OrderPipeline.Aws;

namespace OrderPipeline.FunctionalTests.Integration;

/// <summary>
/// The outbox relay as AWS Lambda runs it: no loop of its own (nothing runs between invocations), a schedule posting
/// {"orderpipeline":"relay-outbox"} every minute, and the backlog's age as a CloudWatch embedded-metric line for the
/// alarm. Real Processor, MariaDB and emulator.
/// </summary>
[Collection(InfrastructureCollection.Name)]
public sealed class ScheduledRelayTests(InfrastructureFixture infra)
{
    private WebApplicationFactory<OrderCreatedHandler> ProcessorFunction(string orderProcessed, StringWriter metricLines) =>
        new ServiceFactory<OrderCreatedHandler>(infra.ServiceSettings().With(
            ("Queues:OrderProcessed", orderProcessed),
            ("Messaging:Consumer:Enabled", "false"),
            ("Outbox:BackgroundRelay", "false"),
            ("Metrics:CloudWatchNamespace", "OrderPipeline"),
            ("Metrics:Environment", "test")))
        .WithWebHostBuilder(web => web.ConfigureServices(services =>
            services.AddSingleton(sp => new EmbeddedMetrics(sp.GetRequiredService<IConfiguration>(), metricLines))));

    private async Task<string> AddUnpublishedAsync(string destination)
    {
        var messageId = Guid.NewGuid().ToString();
        await using var connection = new MySqlConnection(infra.Database.ConnectionString);
        await connection.ExecuteAsync(
            "INSERT INTO outbox (message_id, destination, event_type, payload, created_at)"
                + " VALUES (@messageId, @destination, 'OrderProcessed', @payload, @createdAt)",
            new { messageId, destination, payload = $$"""{"order_id":"{{messageId}}"}""", createdAt = DateTime.UtcNow.AddMinutes(-2) });
        return messageId;
    }

    [Fact]
    public async Task A_scheduled_invocation_publishes_what_was_left_and_reports_the_backlogs_age_as_an_embedded_metric()
    {
        var (orderProcessed, _) = await infra.CreateQueuePairAsync("scheduled-relay");
        var queueName = orderProcessed[(orderProcessed.LastIndexOf('/') + 1)..];
        var messageId = await AddUnpublishedAsync(queueName);
        var metricLines = new StringWriter();
        await using var function = ProcessorFunction(orderProcessed, metricLines);
        using var client = function.CreateClient();

        // With its own loop off, the relay publishes nothing until it is invoked.
        await Task.Delay(TimeSpan.FromSeconds(2), TestContext.Current.CancellationToken);
        Assert.Equal(1, await infra.Database.CountAsync(
            "SELECT COUNT(*) FROM outbox WHERE message_id = @messageId AND published_at IS NULL", new { messageId }));

        using var response = await client.PostAsync(
            "/events",
            new StringContent("""{"orderpipeline":"relay-outbox"}""", Encoding.UTF8, "application/json"),
            TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var answer = await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
        Assert.Equal(RelayOutboxTask.TaskName, answer.GetProperty("task").GetString());
        Assert.Equal(0, await infra.Database.CountAsync(
            "SELECT COUNT(*) FROM outbox WHERE message_id = @messageId AND published_at IS NULL", new { messageId }));
        var received = await infra.SqsClient.ReceiveMessageAsync(
            new ReceiveMessageRequest { QueueUrl = orderProcessed, WaitTimeSeconds = 2 },
            TestContext.Current.CancellationToken);
        Assert.Contains(messageId, Assert.Single(received.Messages).Body, StringComparison.Ordinal);

        var line = JsonDocument.Parse(Assert.Single(metricLines.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries))).RootElement;
        var definition = line.GetProperty("_aws").GetProperty("CloudWatchMetrics")[0];
        Assert.Equal("OrderPipeline", definition.GetProperty("Namespace").GetString());
        Assert.Equal(RelayOutboxTask.OldestUnpublishedAgeMetric, definition.GetProperty("Metrics")[0].GetProperty("Name").GetString());
        Assert.Equal("Seconds", definition.GetProperty("Metrics")[0].GetProperty("Unit").GetString());
        Assert.Equal("test", line.GetProperty("Environment").GetString());
        Assert.True(line.GetProperty(RelayOutboxTask.OldestUnpublishedAgeMetric).GetDouble() >= 0);
    }

    [Fact]
    public async Task A_scheduled_invocation_of_an_unknown_task_fails_so_that_the_invocation_shows_as_an_error()
    {
        var (orderProcessed, _) = await infra.CreateQueuePairAsync("scheduled-unknown");
        await using var function = ProcessorFunction(orderProcessed, new StringWriter());
        using var client = function.CreateClient();

        using var response = await client.PostAsync(
            "/events",
            new StringContent("""{"orderpipeline":"no-such-task"}""", Encoding.UTF8, "application/json"),
            TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
    }
}
