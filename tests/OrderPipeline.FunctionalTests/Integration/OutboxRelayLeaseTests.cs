using System.Diagnostics.Metrics;
using System.Text.Json;
using Amazon.SQS.Model;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using MySqlConnector;
using OrderPipeline.Messaging.Events;
using OrderPipeline.Messaging.Publishing;
using OrderPipeline.Messaging.Sqs;
using OrderPipeline.Messaging.Telemetry;
using OrderPipeline.Processor.Outbox;
using OrderPipeline.Tests.Shared;
using OrderPipeline.FunctionalTests.Support;

namespace OrderPipeline.FunctionalTests.Integration;

/// <summary>
/// The relay against the real MariaDB and emulator: it holds no lock while it sends, a row that cannot be sent only
/// delays itself, leases expire, and two relays share one backlog without losing or doubling a row.
/// </summary>
[Collection(InfrastructureCollection.Name)]
public sealed class OutboxRelayLeaseTests(InfrastructureFixture infra) : IAsyncDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    // One for the whole class: meters are cheap, and a provider per relay would never be disposed.
    private static readonly ServiceProvider MeterServices = new ServiceCollection().AddMetrics().BuildServiceProvider();

    private readonly ProcessorParts _parts = new(infra.Database.ConnectionString, "order-processed");
    private readonly MessagingTelemetry _messaging = new(Meters);
    private readonly List<OutboxTelemetry> _relayTelemetry = [];

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private static IMeterFactory Meters => MeterServices.GetRequiredService<IMeterFactory>();

    public async ValueTask DisposeAsync()
    {
        _relayTelemetry.ForEach(t => t.Dispose());
        _messaging.Dispose();
        await _parts.DisposeAsync();
    }

    /// <summary>Holds every batch send until released, so a test can look at the database while the relay is sending.</summary>
    private sealed class GatedPublisher(IEventPublisher inner) : IEventPublisher
    {
        public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public List<OutgoingMessage> Sent { get; } = [];

        public async Task<IReadOnlyList<SendResult>> SendBatchAsync(IReadOnlyList<OutgoingMessage> messages, CancellationToken cancellationToken)
        {
            Entered.TrySetResult();
            await Release.Task.WaitAsync(cancellationToken);
            lock (Sent)
            {
                Sent.AddRange(messages);
            }
            return await inner.SendBatchAsync(messages, cancellationToken);
        }
    }

    private SqsEventPublisher RealPublisher() => new(infra.SqsClient, new QueueUrlResolver(infra.SqsClient), _messaging);

    private OutboxRelay Relay(IEventPublisher publisher, OutboxOptions? options = null)
    {
        var telemetry = new OutboxTelemetry(Meters);
        _relayTelemetry.Add(telemetry);
        return new(new OutboxClaims(_parts.DataSource), publisher, telemetry,
            Options.Create(options ?? new OutboxOptions { GraceSeconds = 0 }), TimeProvider.System, NullLogger<OutboxRelay>.Instance);
    }

    /// <summary>Publishes whatever other tests of the collection left in the outbox, so a test starts from an empty backlog.</summary>
    private async Task DrainAsync(OutboxRelay? relay = null)
    {
        relay ??= Relay(RealPublisher());
        while ((await relay.RelayOnceAsync(Cancel)).Claimed > 0)
        {
        }
    }

    /// <summary>Writes outbox rows as the order transaction would, one OrderProcessed each, a minute old (past any grace).</summary>
    private async Task<IReadOnlyList<long>> AddRowsAsync(string destination, int count, string? claimedBy = null, DateTime? claimedUntil = null)
    {
        await using var connection = await _parts.DataSource.OpenConnectionAsync(Cancel);
        var ids = new List<long>();
        for (var i = 0; i < count; i++)
        {
            var orderId = Guid.CreateVersion7().ToString();
            var payload = JsonSerializer.Serialize(
                new OrderProcessed(orderId, "relay-test", OrderStatus.Processed, DateTime.UtcNow, DateTime.UtcNow), EventJsonContext.Default.OrderProcessed);
            ids.Add(await connection.ExecuteScalarAsync<long>(
                """
                INSERT INTO outbox (message_id, destination, event_type, payload, created_at, claimed_by, claimed_until)
                VALUES (@orderId, @destination, 'OrderProcessed', @payload, UTC_TIMESTAMP(6) - INTERVAL 1 MINUTE, @claimedBy, @claimedUntil);
                SELECT LAST_INSERT_ID();
                """,
                new { orderId, destination, payload, claimedBy, claimedUntil }));
        }
        return ids;
    }

    private async Task<T> RowAsync<T>(string sql, long id)
    {
        await using var connection = await _parts.DataSource.OpenConnectionAsync(Cancel);
        return await connection.QuerySingleAsync<T>(sql, new { id });
    }

    private async Task DeleteRowsAsync(IEnumerable<long> ids)
    {
        await using var connection = await _parts.DataSource.OpenConnectionAsync(CancellationToken.None);
        await connection.ExecuteAsync("DELETE FROM outbox WHERE id IN @ids", new { ids = ids.ToArray() });
    }

    private async Task<long> UnpublishedAsync(IEnumerable<long> ids) =>
        await infra.Database.CountAsync("SELECT COUNT(*) FROM outbox WHERE id IN @ids AND published_at IS NULL", new { ids = ids.ToArray() });

    /// <returns>The MySQL error number the insert ran into (1205: it waited for a lock), or null when it went through.</returns>
    private async Task<int?> ProbeOutboxInsertAsync()
    {
        await using var connection = await _parts.DataSource.OpenConnectionAsync(Cancel);
        await connection.ExecuteAsync("SET SESSION innodb_lock_wait_timeout = 1");
        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.ReadCommitted, Cancel);
        try
        {
            await connection.ExecuteAsync(
                """
                INSERT INTO outbox (message_id, destination, event_type, payload, created_at)
                VALUES (@messageId, 'order-processed', 'OrderProcessed', '{}', UTC_TIMESTAMP(6))
                """,
                new { messageId = Guid.NewGuid().ToString() }, transaction);
            return null;
        }
        catch (MySqlException ex)
        {
            return ex.Number;
        }
        finally
        {
            await transaction.RollbackAsync(CancellationToken.None);
        }
    }

    /// <summary>Receives (and deletes) messages until <paramref name="expected"/> have come; returns each body's order id.</summary>
    private async Task<List<string>> ReceiveOrderIdsAsync(string queueUrl, int expected)
    {
        var orderIds = new List<string>();
        await Eventually.AssertAsync(async () =>
        {
            var received = await infra.SqsClient.ReceiveMessageAsync(
                new ReceiveMessageRequest { QueueUrl = queueUrl, MaxNumberOfMessages = 10, WaitTimeSeconds = 1 },
                Cancel);
            foreach (var message in received.Messages ?? [])
            {
                orderIds.Add(JsonSerializer.Deserialize(message.Body, EventJsonContext.Default.OrderProcessed)!.OrderId);
                await infra.SqsClient.DeleteMessageAsync(queueUrl, message.ReceiptHandle, Cancel);
            }
            return orderIds.Count >= expected;
        }, Patience, $"{expected} messages on {queueUrl}");
        return orderIds;
    }

    [Fact]
    public async Task While_the_relay_is_sending_an_order_transaction_writes_its_outbox_row_without_waiting_for_a_lock()
    {
        await DrainAsync();
        var (queueUrl, _) = await infra.CreateQueuePairAsync("slow");
        var backlog = await AddRowsAsync(queueUrl, 3);
        var gated = new GatedPublisher(RealPublisher());
        var relay = Relay(gated);

        var relaying = relay.RelayOnceAsync(Cancel);
        try
        {
            // The relay has claimed its rows and is in the middle of sending them (SQS is "slow": held here).
            await gated.Entered.Task.WaitAsync(Patience, Cancel);

            // The database's own answer first: an outbox insert, as the order transaction makes it, in a session
            // that gives up on a lock wait after 1 s instead of 50 (error 1205 if the relay's locks were in the way).
            Assert.Null(await ProbeOutboxInsertAsync());

            // And the order transaction itself commits while the relay is still sending.
            var product = await infra.Database.AddProductAsync(5);
            var order = new OrderCreated(Guid.CreateVersion7().ToString(), "during-relay", [new OrderLine(product, 1)], DateTime.UtcNow);
            var outcome = await _parts.Transaction.ExecuteAsync(order, Cancel).WaitAsync(Patience, Cancel);
            Assert.NotNull(outcome.Unpublished);
            Assert.False(relaying.IsCompleted, "the relay was still sending while the order committed");
        }
        finally
        {
            gated.Release.TrySetResult();
        }

        var pass = await relaying;
        Assert.Equal(0, pass.Failed);
        Assert.Equal(0, await UnpublishedAsync(backlog));
        Assert.Equal(3, (await ReceiveOrderIdsAsync(queueUrl, 3)).Count);
    }

    [Fact]
    public async Task A_row_that_cannot_be_sent_is_counted_and_backed_off_and_the_rows_behind_it_are_published()
    {
        await DrainAsync();
        var (queueUrl, _) = await infra.CreateQueuePairAsync("behind");
        var poison = await AddRowsAsync($"missing-{Guid.NewGuid():N}", 1);
        var behind = await AddRowsAsync(queueUrl, 4);
        // Two rows a pass: the poison row is the oldest, so the first pass takes it with a good one.
        var relay = Relay(RealPublisher(), new OutboxOptions { GraceSeconds = 0, BatchSize = 2, InitialBackoffSeconds = 60, MaxBackoffSeconds = 600 });
        try
        {
            var passes = new List<RelayPass>();
            for (RelayPass pass; (pass = await relay.RelayOnceAsync(Cancel)).Claimed > 0;)
            {
                passes.Add(pass);
            }

            Assert.Equal(new RelayPass(2, 1, 1), passes[0]);
            Assert.Equal(0, await UnpublishedAsync(behind));
            Assert.Equal(4, (await ReceiveOrderIdsAsync(queueUrl, 4)).Count);
            var failed = await RowAsync<(int Attempts, string? LastError, string? ClaimedBy, long BackoffSeconds)>(
                "SELECT attempts, last_error, claimed_by, TIMESTAMPDIFF(SECOND, UTC_TIMESTAMP(6), next_attempt_at)"
                    + " FROM outbox WHERE id = @id AND published_at IS NULL",
                poison[0]);
            Assert.Equal(1, failed.Attempts);
            Assert.Contains("QueueDoesNotExist", failed.LastError, StringComparison.Ordinal);
            Assert.Null(failed.ClaimedBy);
            Assert.InRange(failed.BackoffSeconds, 30, 60);

            // Not due yet: the next pass leaves it alone. Once due, it is tried again and waits twice as long.
            Assert.Equal(0, (await relay.RelayOnceAsync(Cancel)).Claimed);
            await using (var connection = await _parts.DataSource.OpenConnectionAsync(Cancel))
            {
                await connection.ExecuteAsync(
                    "UPDATE outbox SET next_attempt_at = UTC_TIMESTAMP(6) - INTERVAL 1 SECOND WHERE id = @id",
                    new { id = poison[0] });
            }
            Assert.Equal(new RelayPass(1, 0, 1), await relay.RelayOnceAsync(Cancel));
            var again = await RowAsync<(int Attempts, long BackoffSeconds)>(
                "SELECT attempts, TIMESTAMPDIFF(SECOND, UTC_TIMESTAMP(6), next_attempt_at) FROM outbox WHERE id = @id", poison[0]);
            Assert.Equal(2, again.Attempts);
            Assert.InRange(again.BackoffSeconds, 90, 120);
        }
        finally
        {
            await DeleteRowsAsync(poison);
        }
    }

    [Fact]
    public async Task A_row_whose_lease_expired_is_claimed_again_and_a_live_lease_is_respected()
    {
        await DrainAsync();
        var (queueUrl, _) = await infra.CreateQueuePairAsync("lease");
        // As a relay that crashed mid-send leaves them, and one that is sending right now.
        var expired = await AddRowsAsync(queueUrl, 2, "crashed-relay", DateTime.UtcNow.AddMinutes(-1));
        var leased = await AddRowsAsync(queueUrl, 1, "live-relay", DateTime.UtcNow.AddMinutes(10));
        try
        {
            await DrainAsync();

            Assert.Equal(0, await UnpublishedAsync(expired));
            Assert.Equal(expired.Count, (await ReceiveOrderIdsAsync(queueUrl, expired.Count)).Count);
            Assert.Equal("live-relay", await RowAsync<string>("SELECT claimed_by FROM outbox WHERE id = @id AND published_at IS NULL", leased[0]));
        }
        finally
        {
            await DeleteRowsAsync(leased);
        }
    }

    [Fact]
    public async Task Two_relays_share_one_backlog_and_every_row_is_sent_once()
    {
        await DrainAsync();
        var (queueUrl, _) = await infra.CreateQueuePairAsync("shared");
        var backlog = await AddRowsAsync(queueUrl, 60);
        var options = new OutboxOptions { GraceSeconds = 0, BatchSize = 5 };
        var gated = new GatedPublisher(RealPublisher());
        var first = Relay(gated, options);
        var second = Relay(RealPublisher(), options);

        // The first relay claims a batch and is held while sending it; the second drains everything else meanwhile.
        var firstPass = first.RelayOnceAsync(Cancel);
        await gated.Entered.Task.WaitAsync(Patience, Cancel);
        var secondPublished = 0;
        for (RelayPass pass; (pass = await second.RelayOnceAsync(Cancel)).Claimed > 0;)
        {
            secondPublished += pass.Published;
        }
        Assert.Equal(5, await UnpublishedAsync(backlog));
        gated.Release.TrySetResult();
        Assert.Equal(5, (await firstPass).Published);

        Assert.Equal(0, await UnpublishedAsync(backlog));
        Assert.Equal(55, secondPublished);
        var received = await ReceiveOrderIdsAsync(queueUrl, backlog.Count);
        Assert.Equal(backlog.Count, received.Count);
        Assert.Equal(backlog.Count, received.Distinct().Count());
        Assert.Equal(0, (await infra.SqsClient.GetQueueAttributesAsync(queueUrl, ["ApproximateNumberOfMessages"], Cancel)).ApproximateNumberOfMessages);
    }

    [Fact]
    public async Task The_relay_reports_its_batches_and_the_age_of_the_oldest_unpublished_row()
    {
        await DrainAsync();
        var (queueUrl, _) = await infra.CreateQueuePairAsync("metrics");
        var measurements = new System.Collections.Concurrent.ConcurrentDictionary<string, double>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == OutboxTelemetry.Name)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
            measurements.AddOrUpdate(instrument.Name + Outcome(tags), value, (_, sum) => sum + value));
        listener.SetMeasurementEventCallback<double>((instrument, value, _, _) => measurements[instrument.Name] = value);
        listener.Start();
        var relay = Relay(RealPublisher());

        // Nothing waiting: the age is 0.
        await relay.MeasureBacklogAsync(Cancel);
        listener.RecordObservableInstruments();
        Assert.Equal(0, measurements["orderpipeline.outbox.oldest_unpublished_age"]);

        // A row written a minute ago, held by another relay's lease: it is what the figure must show.
        var held = await AddRowsAsync(queueUrl, 1, "live-relay", DateTime.UtcNow.AddMinutes(10));
        try
        {
            await AddRowsAsync(queueUrl, 2);
            Assert.Equal(new RelayPass(2, 2, 0), await relay.RelayOnceAsync(Cancel));
            await relay.MeasureBacklogAsync(Cancel);
            listener.RecordObservableInstruments();

            Assert.InRange(measurements["orderpipeline.outbox.oldest_unpublished_age"], 59, 3600);
            Assert.Equal(1, measurements["orderpipeline.outbox.relay.batches"]);
            Assert.Equal(2, measurements["orderpipeline.outbox.relay.messages/published"]);
        }
        finally
        {
            await DeleteRowsAsync(held);
        }

        static string Outcome(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "outcome")
                {
                    return "/" + tag.Value;
                }
            }
            return "";
        }
    }
}
