using Amazon.SQS;
using Amazon.SQS.Model;
using Dapper;
using MySqlConnector;

namespace OrderPipeline.FaultRun;

/// <summary>One thing that must hold after the run, whether it did, and the figures behind the verdict.</summary>
public sealed record Check(string Name, bool Passed, string Detail);

/// <summary>
/// Compares what the clients were told with what the database, the queues and the Notifier hold: every accepted order
/// settled exactly once, stock conserved and never negative, one notification per order, the outbox drained, and only
/// the injected poison in the DLQs.
/// </summary>
public sealed class Reconciliation(string connectionString, IAmazonSQS sqs, string customerId, IReadOnlyDictionary<string, int> initialStock)
{
    /// <summary>The state the run waits for before it reconciles: everything accepted has come out the other end.</summary>
    public async Task<bool> IsSettledAsync(int acceptedOrders, int createdPoison, int processedPoison, CancellationToken cancellationToken)
    {
        await using var connection = new MySqlConnection(connectionString);
        var settled = await connection.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM orders WHERE customer_id = @customerId AND status <> 'PENDING'", new { customerId });
        var notified = await connection.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM notifications n JOIN orders o ON o.order_id = n.order_id WHERE o.customer_id = @customerId", new { customerId });
        var unpublished = await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM outbox WHERE published_at IS NULL");
        return settled >= acceptedOrders && notified >= settled && unpublished == 0
            && await InQueueAsync("order-created", cancellationToken) == 0
            && await InQueueAsync("order-processed", cancellationToken) == 0
            && await InQueueAsync("order-created-dlq", cancellationToken) >= createdPoison
            && await InQueueAsync("order-processed-dlq", cancellationToken) >= processedPoison;
    }

    public async Task<IReadOnlyList<Check>> CheckAsync(
        IReadOnlyCollection<PlacedOrder> placed, IReadOnlySet<string> poison, CancellationToken cancellationToken)
    {
        await using var connection = new MySqlConnection(connectionString);
        var recorded = (await connection.QueryAsync<(string OrderId, string Status, string Items)>(
            "SELECT order_id, status, items FROM orders WHERE customer_id = @customerId", new { customerId })).ToList();
        var rows = recorded.ToDictionary(r => r.OrderId, r => r.Status);
        var accepted = placed.Where(p => p.OrderId is not null).ToList();
        var acceptedIds = accepted.Select(p => p.OrderId!).ToHashSet(StringComparer.Ordinal);
        var uncertain = placed.SelectMany(p => p.UncertainIds).ToHashSet(StringComparer.Ordinal);
        var checks = new List<Check>();

        var missing = acceptedIds.Count(id => !rows.ContainsKey(id));
        var pending = acceptedIds.Count(id => rows.TryGetValue(id, out var status) && status == "PENDING");
        checks.Add(new Check("Every accepted order settled (PROCESSED or FAILED)", missing == 0 && pending == 0,
            $"{accepted.Count} accepted; {missing} never recorded, {pending} still PENDING; "
                + $"{rows.Values.Count(s => s == "PROCESSED")} PROCESSED, {rows.Values.Count(s => s == "FAILED")} FAILED"));

        // An unkeyed order whose answer named nothing and may hide an acceptance (API Gateway's 500, no answer) may have
        // been recorded under an id nobody was told: at most once per such answer, and only with that order's items.
        var hidden = placed.Where(p => p.HiddenOutcomes > 0).GroupBy(p => Signature(p.Items))
            .ToDictionary(g => g.Key, g => g.Sum(p => p.HiddenOutcomes), StringComparer.Ordinal);
        var matched = 0;
        var unexplained = 0;
        foreach (var row in recorded.Where(r => !acceptedIds.Contains(r.OrderId) && !uncertain.Contains(r.OrderId)))
        {
            var signature = Signature(ItemsOf(row.Items));
            if (hidden.GetValueOrDefault(signature) > 0)
            {
                hidden[signature]--;
                matched++;
            }
            else
            {
                unexplained++;
            }
        }
        checks.Add(new Check("No order recorded that no client was told about", unexplained == 0,
            $"{rows.Count} recorded for {accepted.Count} accepted; "
                + $"{rows.Keys.Count(uncertain.Contains)} from answers that said the outcome was unknown; "
                + $"{matched} from answers that named no order but may hide one (of {placed.Sum(p => p.HiddenOutcomes)}); "
                + $"{unexplained} unexplained"));

        var refused = placed.Count(p => p.RefusedWith is not null);
        var gaveUp = placed.Count(p => p.OrderId is null && p.RefusedWith is null);
        checks.Add(new Check("Every valid order was accepted in the end", refused == 0 && gaveUp == 0,
            $"{placed.Count} placed; {refused} refused with a 4xx, {gaveUp} never accepted after retries"));

        var repeats = placed.Where(p => p.RepeatOrderId is not null).ToList();
        var sameOrder = repeats.Count(p => p.RepeatOrderId == p.OrderId);
        checks.Add(new Check("A repeated request with the same Idempotency-Key named the same order", sameOrder == repeats.Count,
            $"{sameOrder} of {repeats.Count} repeats"));

        // Each PROCESSED order took its quantities exactly once; a FAILED one took nothing.
        var taken = (await connection.QueryAsync<string>(
            "SELECT items FROM orders WHERE customer_id = @customerId AND status = 'PROCESSED'", new { customerId }))
            .SelectMany(ItemsOf).GroupBy(i => i.ProductId).ToDictionary(g => g.Key, g => g.Sum(i => i.Quantity));
        var stock = (await connection.QueryAsync<(string ProductId, int Quantity)>(
            "SELECT product_id, quantity_available FROM inventory WHERE product_id IN @ids", new { ids = initialStock.Keys }))
            .ToDictionary(r => r.ProductId, r => r.Quantity);
        var wrong = initialStock.Where(p => stock.GetValueOrDefault(p.Key, -1) != p.Value - taken.GetValueOrDefault(p.Key)).Select(p => p.Key).ToList();
        var negative = stock.Values.Count(q => q < 0);
        checks.Add(new Check("Stock conserved and never negative", wrong.Count == 0 && negative == 0,
            $"{initialStock.Count} products, {initialStock.Values.Sum()} units at the start, "
                + $"{taken.Values.Sum()} taken by PROCESSED orders, {stock.Values.Sum()} left; "
                + $"{wrong.Count} products off, {negative} negative"));

        var notified = (await connection.QueryAsync<string>(
            "SELECT n.order_id FROM notifications n JOIN orders o ON o.order_id = n.order_id WHERE o.customer_id = @customerId",
            new { customerId }))
            .ToHashSet(StringComparer.Ordinal);
        var settled = rows.Where(r => r.Value != "PENDING").Select(r => r.Key).ToList();
        checks.Add(new Check("One notification per settled order", settled.All(notified.Contains) && notified.Count == settled.Count,
            $"{notified.Count} notified of {settled.Count} settled"));

        var unpublished = await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM outbox WHERE published_at IS NULL");
        checks.Add(new Check("Outbox drained", unpublished == 0, $"{unpublished} unpublished rows"));

        var dead = (await DrainAsync("order-created-dlq", cancellationToken)).Concat(await DrainAsync("order-processed-dlq", cancellationToken)).ToList();
        var notPoison = dead.Count(body => !poison.Contains(body));
        var poisonArrived = poison.Count(dead.Contains);
        // A standard queue delivers at least once, its move to the DLQ included: the same poison may arrive twice.
        checks.Add(new Check("Only poison in the DLQs, and all of it", notPoison == 0 && poisonArrived == poison.Count,
            $"{dead.Count} messages in the DLQs ({dead.Distinct(StringComparer.Ordinal).Count()} distinct bodies): "
                + $"{poisonArrived} of {poison.Count} poison, {notPoison} valid"));

        var left = await InQueueAsync("order-created", cancellationToken) + await InQueueAsync("order-processed", cancellationToken);
        checks.Add(new Check("Queues empty", left == 0, $"{left} messages left in order-created and order-processed"));
        return checks;
    }

    /// <summary>An order's items in a canonical form, to tell which placed order a recorded one can be.</summary>
    private static string Signature(IEnumerable<(string ProductId, int Quantity)> items) =>
        string.Join(',', items.Select(i => $"{i.ProductId}x{i.Quantity}").Order(StringComparer.Ordinal));

    private static IEnumerable<(string ProductId, int Quantity)> ItemsOf(string json)
    {
        using var document = System.Text.Json.JsonDocument.Parse(json);
        return [.. document.RootElement.EnumerateArray().Select(i => (i.GetProperty("product_id").GetString()!, i.GetProperty("quantity").GetInt32()))];
    }

    /// <summary>Visible and in-flight messages.</summary>
    private async Task<int> InQueueAsync(string queue, CancellationToken cancellationToken)
    {
        var url = (await sqs.GetQueueUrlAsync(queue, cancellationToken)).QueueUrl;
        var attributes = await sqs.GetQueueAttributesAsync(
            new GetQueueAttributesRequest(url, ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]),
            cancellationToken);
        return attributes.ApproximateNumberOfMessages + attributes.ApproximateNumberOfMessagesNotVisible;
    }

    /// <summary>Reads every message of a DLQ (hiding each for the rest of the run, so none is read twice).</summary>
    private async Task<List<string>> DrainAsync(string queue, CancellationToken cancellationToken)
    {
        var url = (await sqs.GetQueueUrlAsync(queue, cancellationToken)).QueueUrl;
        var bodies = new List<string>();
        while (true)
        {
            var response = await sqs.ReceiveMessageAsync(
                new ReceiveMessageRequest { QueueUrl = url, MaxNumberOfMessages = 10, WaitTimeSeconds = 1, VisibilityTimeout = 3600 },
                cancellationToken);
            if (response.Messages is not { Count: > 0 } messages)
            {
                return bodies;
            }
            bodies.AddRange(messages.Select(m => m.Body));
        }
    }
}
