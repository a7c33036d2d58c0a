using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace OrderPipeline.FaultRun;

/// <summary>One order a client placed, and what the Api said about it.</summary>
/// <param name="OrderId">The id from the 202, null while not accepted.</param>
/// <param name="UncertainIds">Ids the Api named in an "outcome unknown" answer: they may exist even though the client gave up on them.</param>
public sealed record PlacedOrder(int Number, string? IdempotencyKey, IReadOnlyList<(string ProductId, int Quantity)> Items)
{
    public string? OrderId { get; set; }

    public int Attempts { get; set; }

    public ConcurrentBag<string> UncertainIds { get; } = [];

    /// <summary>A 4xx other than 408/429: the Api refused a valid order, which the run reports as a failure.</summary>
    public int? RefusedWith { get; set; }

    /// <summary>What a keyed client's deliberate repeat of the same request was answered with.</summary>
    public string? RepeatOrderId { get; set; }
}

/// <summary>
/// Clients placing orders at a steady pace, as real ones would through the faults: a refused or unanswered request is
/// retried after its Retry-After (a keyed one with the same Idempotency-Key), and some keyed clients send the same
/// request twice on purpose.
/// </summary>
public sealed class OrderLoad(HttpClient api, string customerId, IReadOnlyList<string> products, FaultRunOptions options)
{
    private const int MaxAttempts = 60;
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(10);

    public ConcurrentQueue<PlacedOrder> Orders { get; } = new();

    public int Retries => _retries;

    private int _retries;

    public async Task RunAsync(Stopwatch clock, CancellationToken cancellationToken)
    {
        var random = new Random(42);
        var plans = Enumerable.Range(0, options.Orders).Select(i => Plan(i, random)).ToList();
        var interval = TimeSpan.FromSeconds((double)options.LoadSeconds / options.Orders);
        using var slots = new SemaphoreSlim(options.Concurrency * 4);
        var running = new List<Task>();
        foreach (var plan in plans)
        {
            var due = interval * plan.Number;
            if (due > clock.Elapsed)
            {
                await Task.Delay(due - clock.Elapsed, cancellationToken);
            }
            await slots.WaitAsync(cancellationToken);
            Orders.Enqueue(plan);
            running.Add(Task.Run(async () =>
            {
                try
                {
                    await PlaceAsync(plan, cancellationToken);
                    if (plan.IdempotencyKey is not null && plan.Number % 5 == 0)
                    {
                        // A client that never saw the first answer (or does not trust it) sends the same request again.
                        plan.RepeatOrderId = await PlaceOnceUntilAnsweredAsync(plan, cancellationToken);
                    }
                }
                finally
                {
                    slots.Release();
                }
            }, cancellationToken));
        }
        await Task.WhenAll(running);
    }

    private PlacedOrder Plan(int number, Random random)
    {
        var count = random.Next(1, 4);
        var items = products.OrderBy(_ => random.Next()).Take(count).Select(p => (p, random.Next(1, 4))).ToList();
        // A third of the clients send an Idempotency-Key, as a careful client would.
        var key = number % 3 == 0 ? $"fault-{customerId}-{number}" : null;
        return new PlacedOrder(number, key, items);
    }

    private async Task PlaceAsync(PlacedOrder order, CancellationToken cancellationToken)
    {
        while (order.OrderId is null && order.Attempts < MaxAttempts)
        {
            order.Attempts++;
            var (status, orderId, retryAfter) = await SendAsync(order, cancellationToken);
            if (status == HttpStatusCode.Accepted)
            {
                order.OrderId = orderId;
                return;
            }
            if (status is { } code && (int)code is >= 400 and < 500 and not 408 and not 429)
            {
                order.RefusedWith = (int)code;
                return;
            }
            if (orderId is not null)
            {
                // "It may have been accepted": an unkeyed client cannot know, and places the order again.
                order.UncertainIds.Add(orderId);
            }
            Interlocked.Increment(ref _retries);
            await Task.Delay(retryAfter, cancellationToken);
        }
    }

    private async Task<string?> PlaceOnceUntilAnsweredAsync(PlacedOrder order, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var (status, orderId, retryAfter) = await SendAsync(order, cancellationToken);
            if (status == HttpStatusCode.Accepted)
            {
                return orderId;
            }
            await Task.Delay(retryAfter, cancellationToken);
        }
        return null;
    }

    private async Task<(HttpStatusCode? Status, string? OrderId, TimeSpan RetryAfter)> SendAsync(PlacedOrder order, CancellationToken cancellationToken)
    {
        var body = new JsonObject
        {
            ["customer_id"] = customerId,
            ["items"] = new JsonArray([.. order.Items.Select(i => (JsonNode)new JsonObject { ["product_id"] = i.ProductId, ["quantity"] = i.Quantity })]),
        };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/orders") { Content = JsonContent.Create(body) };
        if (order.IdempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", order.IdempotencyKey);
        }
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(RequestTimeout);
        try
        {
            using var response = await api.SendAsync(request, timeout.Token);
            var orderId = await OrderIdOfAsync(response, cancellationToken);
            var retryAfter = response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1);
            return (response.StatusCode, orderId, retryAfter > TimeSpan.FromSeconds(5) ? TimeSpan.FromSeconds(5) : retryAfter);
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return (null, null, TimeSpan.FromSeconds(1));
        }
    }

    private static async Task<string?> OrderIdOfAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            var json = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
            return json.ValueKind == JsonValueKind.Object && json.TryGetProperty("order_id", out var id) ? id.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
