using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Amazon.SQS.Model;
using OrderPipeline.Api.Authentication;
using OrderPipeline.Api.Orders;
using OrderPipeline.Tests.Shared;
using OrderPipeline.FunctionalTests.Support;

namespace OrderPipeline.FunctionalTests.Integration;

/// <summary>
/// The Api as it runs in AWS behind API Gateway's JWT authorizer: the Lambda Web Adapter forwards the checked claims in
/// x-amzn-request-context, and the token's subject is the customer. Real Api, real emulator and MariaDB.
/// </summary>
[Collection(InfrastructureCollection.Name)]
public sealed class ApiAuthenticationTests(InfrastructureFixture infra)
{
    private const string Issuer = "https://issuer.example/";
    private const string Audience = "orders-api";

    private ServiceFactory<OrderQueries> BehindApiGateway(string queue) => new(infra.ServiceSettings(queue).With(
        ("Auth:TrustApiGatewayClaims", "true"), ("Auth:Issuer", Issuer), ("Auth:Audience", Audience)));

    private static HttpRequestMessage Request(HttpMethod method, string path, string? subject, string? customer = null, string issuer = Issuer)
    {
        var request = new HttpRequestMessage(method, path);
        if (subject is not null)
        {
            var context = new JsonObject
            {
                ["requestId"] = "r-1",
                ["authorizer"] = new JsonObject
                {
                    ["jwt"] = new JsonObject
                    {
                        ["claims"] = new JsonObject { ["sub"] = subject, ["iss"] = issuer, ["aud"] = $"[{Audience}]" },
                        ["scopes"] = null,
                    },
                },
            };
            request.Headers.Add(ApiGatewayClaimsHandler.RequestContextHeader, context.ToJsonString());
        }
        if (customer is not null)
        {
            request.Content = new StringContent(
                $$"""{"customer_id":"{{customer}}","items":[{"product_id":"SKU-1001","quantity":1}]}""",
                Encoding.UTF8,
                "application/json");
        }
        return request;
    }

    private async Task<int> MessagesOnAsync(string queue)
    {
        var received = await infra.SqsClient.ReceiveMessageAsync(
            new ReceiveMessageRequest { QueueUrl = queue, MaxNumberOfMessages = 10, WaitTimeSeconds = 1 },
            TestContext.Current.CancellationToken);
        return received.Messages?.Count ?? 0;
    }

    [Fact]
    public async Task Without_claims_or_with_another_issuers_claims_an_order_is_refused_with_401_problem_json_and_nothing_is_published()
    {
        var (queue, _) = await infra.CreateQueuePairAsync("auth-401");
        await using var api = BehindApiGateway(queue);
        using var client = api.CreateClient();

        using var anonymous = await client.SendAsync(
            Request(HttpMethod.Post, "/api/orders", subject: null, customer: "c-1"),
            TestContext.Current.CancellationToken);
        using var foreign = await client.SendAsync(
            Request(HttpMethod.Post, "/api/orders", subject: "c-1", customer: "c-1", issuer: "https://elsewhere.example/"),
            TestContext.Current.CancellationToken);

        foreach (var response in new[] { anonymous, foreign })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
        Assert.Equal(0, await MessagesOnAsync(queue));
    }

    [Fact]
    public async Task A_signed_in_customer_places_orders_as_itself_only()
    {
        var (queue, _) = await infra.CreateQueuePairAsync("auth-403");
        await using var api = BehindApiGateway(queue);
        using var client = api.CreateClient();

        using var someoneElse = await client.SendAsync(
            Request(HttpMethod.Post, "/api/orders", subject: "c-1", customer: "c-2"),
            TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Forbidden, someoneElse.StatusCode);
        Assert.Equal("application/problem+json", someoneElse.Content.Headers.ContentType?.MediaType);
        Assert.Equal(0, await MessagesOnAsync(queue));

        using var itself = await client.SendAsync(
            Request(HttpMethod.Post, "/api/orders", subject: "c-1", customer: "c-1"),
            TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Accepted, itself.StatusCode);
        Assert.Equal(1, await MessagesOnAsync(queue));
    }

    [Fact]
    public async Task A_customer_cannot_read_another_customers_order()
    {
        var (queue, _) = await infra.CreateQueuePairAsync("auth-get");
        var product = await infra.Database.AddProductAsync(5);
        var orderId = Guid.CreateVersion7().ToString();
        await using (var connection = new MySqlConnector.MySqlConnection(infra.Database.ConnectionString))
        {
            await Dapper.SqlMapper.ExecuteAsync(connection,
                "INSERT INTO orders (order_id, customer_id, items, status) VALUES (@orderId, 'owner', @items, 'PENDING')",
                new { orderId, items = $$"""[{"product_id":"{{product}}","quantity":1}]""" });
        }
        await using var api = BehindApiGateway(queue);
        using var client = api.CreateClient();

        using var owner = await client.SendAsync(Request(HttpMethod.Get, $"/api/orders/{orderId}", subject: "owner"), TestContext.Current.CancellationToken);
        using var stranger = await client.SendAsync(
            Request(HttpMethod.Get, $"/api/orders/{orderId}", subject: "stranger"),
            TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, owner.StatusCode);
        Assert.Equal(
            "owner",
            (await owner.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken))
                .GetProperty("customer_id").GetString());
        Assert.Equal(HttpStatusCode.NotFound, stranger.StatusCode);
        Assert.DoesNotContain("owner", await stranger.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_401_and_403_answers_are_the_ones_the_api_description_declares()
    {
        var (queue, _) = await infra.CreateQueuePairAsync("auth-doc");
        await using var api = BehindApiGateway(queue);
        using var client = api.CreateClient();
        var contract = await OpenApiContract.FetchAsync(client, TestContext.Current.CancellationToken);

        using var unauthorized = await client.SendAsync(
            Request(HttpMethod.Post, "/api/orders", subject: null, customer: "c-1"),
            TestContext.Current.CancellationToken);
        using var forbidden = await client.SendAsync(
            Request(HttpMethod.Post, "/api/orders", subject: "c-1", customer: "c-2"),
            TestContext.Current.CancellationToken);

        foreach (var (response, status) in new[] { (unauthorized, 401), (forbidden, 403) })
        {
            var body = JsonNode.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
            Assert.Null(OpenApiContract.Check(contract.ResponseSchema("post", "/api/orders", status, "application/problem+json"), body));
        }
    }
}
