using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using OrderPipeline.Api.Orders;
using OrderPipeline.FunctionalTests.Support;
using OrderPipeline.Tests.Shared;

namespace OrderPipeline.FunctionalTests.Integration;

/// <summary>
/// The real Api hosted in-process against the SQS emulator, on a queue of the test's own that nothing consumes: while
/// more orders wait on it than <c>Admission:MaxQueuedOrders</c>, or more are being placed than
/// <c>Admission:MaxOrdersInProgress</c> with as many waiting their turn as it lets wait, a new order is refused and
/// nothing is sent.
/// </summary>
[Collection(InfrastructureCollection.Name)]
public sealed class OrderAdmissionTests(InfrastructureFixture infra)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Above_the_orders_let_wait_a_new_order_is_503_orders_queued_and_sends_nothing_and_once_they_are_worked_off_orders_are_taken()
    {
        var cancellation = TestContext.Current.CancellationToken;
        var (queue, _) = await infra.CreateQueuePairAsync("admission");
        await using var api = new ServiceFactory<OrderQueries>(infra.ServiceSettings(queue)
            .With(("Admission:MaxQueuedOrders", "2"), ("Admission:CountInterval", "00:00:00.100")));
        using var client = api.CreateClient();

        // The count is read in the background, so the Api takes orders until it sees more than two waiting.
        var accepted = 0;
        HttpResponseMessage? refused = null;
        await Eventually.AssertAsync(async () =>
        {
            var response = await PostAsync(client, cancellation);
            if (response.StatusCode == HttpStatusCode.Accepted)
            {
                accepted++;
                response.Dispose();
                return false;
            }
            refused = response;
            return true;
        }, Wait, "a POST to be refused once more than two orders wait");

        using (refused)
        {
            Assert.True(accepted > 2, $"refused with {accepted} orders waiting");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused!.StatusCode);
            Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
            Assert.Equal(TimeSpan.FromSeconds(1), refused.Headers.RetryAfter?.Delta);
            var problem = await refused.Content.ReadFromJsonAsync<JsonElement>(cancellation);
            Assert.Equal(OrderProblems.OrdersQueuedType, problem.GetProperty("type").GetString());
            Assert.False(problem.TryGetProperty(OrderProblems.OrderIdExtension, out _), "a refused order has no id");
        }
        // Refused is not sent: the queue holds the accepted orders only.
        Assert.Equal(accepted, (await infra.SqsClient.DrainOrderCreatedAsync(queue)).Count);

        // Worked off: the next count lets orders in again.
        await Eventually.AssertAsync(async () =>
        {
            using var response = await PostAsync(client, cancellation);
            return response.StatusCode == HttpStatusCode.Accepted;
        }, Wait, "a POST to be accepted once the queue is empty");
    }

    [Fact]
    public async Task Past_the_orders_in_progress_and_those_waiting_their_turn_a_new_order_is_503_orders_queued_and_sends_nothing()
    {
        var cancellation = TestContext.Current.CancellationToken;
        var (queue, _) = await infra.CreateQueuePairAsync("in-progress");
        await using var api = new ServiceFactory<OrderQueries>(infra.ServiceSettings(queue)
            .With(("Admission:MaxOrdersInProgress", "1"), ("Admission:MaxOrdersWaiting", "1")));
        using var client = api.CreateClient();

        // Fifty at once against one place and one turn to wait: the first two are taken (each publish takes a round trip
        // to the queue), the rest are refused without waiting.
        var answers = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => PostAsync(client, cancellation)));
        try
        {
            var refused = answers.Where(a => a.StatusCode != HttpStatusCode.Accepted).ToList();
            Assert.True(refused.Count > 0, "fifty orders at once were all taken with one place to place them in");
            foreach (var answer in refused)
            {
                Assert.Equal(HttpStatusCode.ServiceUnavailable, answer.StatusCode);
                Assert.Equal(TimeSpan.FromSeconds(1), answer.Headers.RetryAfter?.Delta);
                var problem = await answer.Content.ReadFromJsonAsync<JsonElement>(cancellation);
                Assert.Equal(OrderProblems.OrdersQueuedType, problem.GetProperty("type").GetString());
            }
            // Refused is not sent: the queue holds the accepted orders only.
            Assert.Equal(answers.Length - refused.Count, (await infra.SqsClient.DrainOrderCreatedAsync(queue)).Count);
        }
        finally
        {
            foreach (var answer in answers)
            {
                answer.Dispose();
            }
        }

        // Once they have been answered, the places are free again.
        using var next = await PostAsync(client, cancellation);
        Assert.Equal(HttpStatusCode.Accepted, next.StatusCode);
    }

    private static Task<HttpResponseMessage> PostAsync(HttpClient client, CancellationToken cancellation) =>
        client.PostAsync(new Uri("/api/orders", UriKind.Relative), new StringContent(
            """{"customer_id":"customer-admission","items":[{"product_id":"SKU-1001","quantity":1}]}""", Encoding.UTF8, "application/json"),
            cancellation);
}
