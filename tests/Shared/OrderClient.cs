using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace OrderPipeline.Tests.Shared;

/// <summary>Talks to the running Api the way a client would.</summary>
internal static class OrderClient
{
    public static Task<HttpResponseMessage> PlaceAsync(this HttpClient api, string customerId, params (string ProductId, int Quantity)[] items) =>
        api.PlaceAsync(customerId, idempotencyKey: null, items);

    public static async Task<HttpResponseMessage> PlaceAsync(
        this HttpClient api, string customerId, string? idempotencyKey, params (string ProductId, int Quantity)[] items)
    {
        var body = new JsonObject
        {
            ["customer_id"] = customerId,
            ["items"] = new JsonArray([.. items.Select(i => (JsonNode)new JsonObject { ["product_id"] = i.ProductId, ["quantity"] = i.Quantity })]),
        };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/orders") { Content = JsonContent.Create(body) };
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }
        return await api.SendAsync(request, TestContext.Current.CancellationToken);
    }

    public static async Task<string> PlaceAcceptedAsync(this HttpClient api, string customerId, params (string ProductId, int Quantity)[] items)
    {
        using var response = await api.PlaceAsync(customerId, items);
        // With the answer's body: a 503 says which part was unavailable.
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.Accepted,
            $"{(int)response.StatusCode} {response.StatusCode}: {await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)}");
        return await OrderIdOf(response);
    }

    public static async Task<string> OrderIdOf(HttpResponseMessage response)
    {
        var json = await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
        return json.GetProperty("order_id").GetString()!;
    }

    /// <summary>Polls GET /api/orders/{id} until the order is PROCESSED or FAILED.</summary>
    public static Task<JsonElement> WaitSettledAsync(this HttpClient api, string orderId, int timeoutSeconds = 30) =>
        Eventually.GetAsync(
            async () =>
            {
                using var response = await api.GetAsync($"/api/orders/{orderId}", TestContext.Current.CancellationToken);
                return response.IsSuccessStatusCode
                    ? await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)
                    : default;
            },
            order => order.ValueKind == JsonValueKind.Object && order.GetProperty("status").GetString() is "PROCESSED" or "FAILED",
            TimeSpan.FromSeconds(timeoutSeconds),
            $"order {orderId} to settle");
}
