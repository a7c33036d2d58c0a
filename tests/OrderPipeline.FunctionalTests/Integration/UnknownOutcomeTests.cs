using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using OrderPipeline.Api.Orders;
using OrderPipeline.Tests.Shared;
using OrderPipeline.FunctionalTests.Support;

namespace OrderPipeline.FunctionalTests.Integration;

/// <summary>
/// When SendMessage fails the order may or may not be on the queue: the real Api hosted in-process
/// against the real MariaDB, with SQS replaced by an endpoint that never answers (a timeout: unknown) or by a port
/// nobody listens on (refused: nothing stored).
/// </summary>
[Collection(InfrastructureCollection.Name)]
public sealed class UnknownOutcomeTests(InfrastructureFixture infra)
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    // Short, so that the tests do not wait the production budget; the behaviour is the same.
    private static readonly (string, string)[] ShortBudget = [("Publishing:AttemptTimeout", "00:00:00.5"), ("Publishing:Budget", "00:00:01.5")];

    private static string Body(string customer) => $$"""{"customer_id":"{{customer}}","items":[{"product_id":"SKU-1001","quantity":1}]}""";

    private static async Task<HttpResponseMessage> PostAsync(HttpClient client, string json, string? key = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/orders") { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        if (key is not null)
        {
            request.Headers.Add("Idempotency-Key", key);
        }
        return await client.SendAsync(request, Cancel);
    }

    private IReadOnlyDictionary<string, string> SqsAt(Uri endpoint) => infra.ServiceSettings()
        .With([("AWS:ServiceURL", endpoint.ToString().TrimEnd('/')),
            ("Queues:OrderCreated", new Uri(endpoint, "/000000000000/order-created").ToString()), .. ShortBudget]);

    [Fact]
    public async Task A_send_that_times_out_is_503_saying_the_order_may_have_been_accepted_with_its_id_and_location()
    {
        await using var silent = new SilentTcpListener();
        await using var api = new ServiceFactory<OrderQueries>(SqsAt(silent.Url));
        using var client = api.CreateClient();

        using var response = await PostAsync(client, Body("unknown-" + Guid.NewGuid().ToString("N")[..8]));

        Assert.True(silent.Connections > 0, "the request reached the endpoint");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.NotNull(response.Headers.RetryAfter);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Cancel);
        Assert.Equal(OrderProblems.OutcomeUnknownType, problem.GetProperty("type").GetString());
        Assert.Contains("may have been accepted", problem.GetProperty("title").GetString(), StringComparison.Ordinal);
        var orderId = problem.GetProperty("order_id").GetString()!;
        Assert.True(Guid.TryParse(orderId, out _));
        Assert.Equal($"/api/orders/{orderId}", response.Headers.Location?.OriginalString);
        Assert.Contains("Idempotency-Key", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task After_an_unknown_outcome_the_same_keyed_request_names_the_same_order_and_is_accepted()
    {
        var customer = "unknown-keyed-" + Guid.NewGuid().ToString("N")[..8];
        var key = Guid.NewGuid().ToString();
        string orderId;
        await using (var silent = new SilentTcpListener())
        await using (var unreachable = new ServiceFactory<OrderQueries>(SqsAt(silent.Url)))
        {
            using var client = unreachable.CreateClient();
            using var unknown = await PostAsync(client, Body(customer), key);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, unknown.StatusCode);
            var problem = await unknown.Content.ReadFromJsonAsync<JsonElement>(Cancel);
            Assert.Equal(OrderProblems.OutcomeUnknownType, problem.GetProperty("type").GetString());
            orderId = problem.GetProperty("order_id").GetString()!;
        }

        // The client retries the request as it was, once the queue answers again.
        var (queue, _) = await infra.CreateQueuePairAsync("unknown-retry");
        await using var api = new ServiceFactory<OrderQueries>(infra.ServiceSettings(queue));
        using var retried = await PostAsync(api.CreateClient(), Body(customer), key);

        Assert.Equal(HttpStatusCode.Accepted, retried.StatusCode);
        Assert.Equal(orderId, (await retried.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("order_id").GetString());
        Assert.Equal([orderId], (await infra.SqsClient.DrainOrderCreatedAsync(queue)).Select(m => m.OrderId));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_refused_connection_is_503_nothing_accepted_without_claiming_an_order(bool keyed)
    {
        // Port 1: nothing listens, the connection is refused, no request ever leaves.
        await using var api = new ServiceFactory<OrderQueries>(SqsAt(new Uri("http://127.0.0.1:1")));
        using var client = api.CreateClient();

        using var response = await PostAsync(client, Body("refused-" + Guid.NewGuid().ToString("N")[..8]), keyed ? Guid.NewGuid().ToString() : null);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.NotNull(response.Headers.RetryAfter);
        Assert.Null(response.Headers.Location);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Cancel);
        Assert.Equal(OrderProblems.NotAcceptedType, problem.GetProperty("type").GetString());
        Assert.Contains("Nothing was accepted", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.False(problem.TryGetProperty("order_id", out _));
    }
}
