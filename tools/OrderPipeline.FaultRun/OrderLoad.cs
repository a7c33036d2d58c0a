using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using OrderPipeline.Testing;

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

    /// <summary>
    /// Answers to this unkeyed order that named no order and yet may hide an accepted one: API Gateway's 500 (the Api's
    /// function may have crashed or timed out after it published), its 503 (the integration timeout), or no answer at
    /// all. Each may have placed the order once more, under an id the client never learned.
    /// </summary>
    public int HiddenOutcomes => _hiddenOutcomes;

    private int _hiddenOutcomes;

    internal void MayHideAnOrder() => Interlocked.Increment(ref _hiddenOutcomes);
}

/// <summary>
/// Clients placing orders at a steady pace, as real ones would through the faults: a refused or unanswered request is
/// retried after its Retry-After (a keyed one with the same Idempotency-Key), and some keyed clients send the same
/// request twice on purpose. In the Lambda shape they are clients of API Gateway: its 429 (the stage's throttle) and
/// its own 500 (the function throttled, failed or timed out) are retried after a short, growing pause.
/// </summary>
public sealed class OrderLoad(HttpClient api, string customerId, IReadOnlyList<string> products, FaultRunOptions options)
{
    // Behind API Gateway a request is throttled while the Api's concurrency is taken (by requests waiting on a frozen
    // database, say): many quick retries, so a count of attempts that covers the outages.
    private readonly int _maxAttempts = options.Lambda ? 400 : 60;

    // Longer than the HTTP API's integration timeout (30 s) in the Lambda shape: API Gateway always answers first.
    private readonly TimeSpan _requestTimeout = TimeSpan.FromSeconds(options.Lambda ? 35 : 10);

    public ConcurrentQueue<PlacedOrder> Orders { get; } = new();

    /// <summary>Every request sent again, whatever the reason.</summary>
    public int Retries => _retries;

    /// <summary>Answers that were API Gateway's 429 (its stage throttled the request, which was sent again).</summary>
    public int Throttled => _throttled;

    /// <summary>Answers that were API Gateway's own 500 or 503 (the invocation was throttled, failed or timed out; sent again).</summary>
    public int GatewayErrors => _gatewayErrors;

    private int _retries;
    private int _throttled;
    private int _gatewayErrors;

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
        while (order.OrderId is null && order.Attempts < _maxAttempts)
        {
            order.Attempts++;
            var (status, orderId, retryAfter, fromGateway) = await SendAsync(order, order.Attempts, cancellationToken);
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
            else if (order.IdempotencyKey is null && (status is null || (fromGateway && status != HttpStatusCode.TooManyRequests)))
            {
                // No answer, or API Gateway's 500/503: the Api may have published the order and then crashed, timed out or
                // been cut off, and nothing names it. (A keyed client sends the same key again, which names the same order.)
                order.MayHideAnOrder();
            }
            Interlocked.Increment(ref _retries);
            await Task.Delay(retryAfter, cancellationToken);
        }
    }

    private async Task<string?> PlaceOnceUntilAnsweredAsync(PlacedOrder order, CancellationToken cancellationToken)
    {
        for (var attempt = 1; attempt <= _maxAttempts; attempt++)
        {
            var (status, orderId, retryAfter, _) = await SendAsync(order, attempt, cancellationToken);
            if (status == HttpStatusCode.Accepted)
            {
                return orderId;
            }
            await Task.Delay(retryAfter, cancellationToken);
        }
        return null;
    }

    /// <summary>
    /// One request and its answer: the status (null when none came), the order id it named, how long to wait before
    /// sending again, and whether the answer was API Gateway's own (429, or its 500/503 for an invocation that failed).
    /// </summary>
    private async Task<(HttpStatusCode? Status, string? OrderId, TimeSpan RetryAfter, bool FromGateway)> SendAsync(
        PlacedOrder order, int attempt, CancellationToken cancellationToken)
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
        timeout.CancelAfter(_requestTimeout);
        try
        {
            using var response = await api.SendAsync(request, timeout.Token);
            var text = await response.Content.ReadAsStringAsync(timeout.Token);
            if (options.Lambda && ApiGatewayAnswers.IsGatewayOwn(response.StatusCode, text))
            {
                if (response.StatusCode == HttpStatusCode.TooManyRequests)
                {
                    Interlocked.Increment(ref _throttled);
                }
                else
                {
                    Interlocked.Increment(ref _gatewayErrors);
                }
                // As an API Gateway client retries: soon, a little later each time, spread out.
                var pause = TimeSpan.FromMilliseconds(Math.Min(1000, 50 * attempt) + Random.Shared.Next(50));
                return (response.StatusCode, null, pause, true);
            }
            var retryAfter = response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1);
            return (response.StatusCode, OrderIdOf(text), retryAfter > TimeSpan.FromSeconds(5) ? TimeSpan.FromSeconds(5) : retryAfter, false);
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return (null, null, TimeSpan.FromSeconds(1), false);
        }
    }

    private static string? OrderIdOf(string body)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            return json.RootElement.ValueKind == JsonValueKind.Object && json.RootElement.TryGetProperty("order_id", out var id) ? id.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
