using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using OrderPipeline.Api.Orders;

namespace OrderPipeline.Api.Admission;

/// <summary>
/// How many orders the Api places at once (<see cref="AdmissionOptions.MaxOrdersInProgress"/>), as the framework's
/// concurrency limiter on POST /api/orders: past the orders let wait their turn, a new one is refused before its body is
/// read, with the same 503 <c>orders-queued</c> as a full queue, so that a client sending faster than the Api answers
/// cannot make it hold an unbounded number of requests.
/// </summary>
public static class OrdersInProgressLimit
{
    /// <summary>The rate-limiting policy POST /api/orders requires.</summary>
    public const string PolicyName = "orders-in-progress";

    /// <summary>Registers the policy: one limiter for the process, or none when the limit is not set.</summary>
    /// <param name="services">The Api's services.</param>
    /// <returns>The same services.</returns>
    public static IServiceCollection AddOrdersInProgressLimit(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        return services.AddRateLimiter(limiter =>
        {
            limiter.AddPolicy(PolicyName, context =>
            {
                var options = context.RequestServices.GetRequiredService<IOptions<AdmissionOptions>>().Value;
                return options.MaxOrdersInProgress is > 0 and var permits
                    ? RateLimitPartition.GetConcurrencyLimiter(PolicyName, _ => new ConcurrencyLimiterOptions
                    {
                        PermitLimit = permits,
                        QueueLimit = options.MaxOrdersWaiting,
                        QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
                    })
                    : RateLimitPartition.GetNoLimiter(PolicyName);
            });
            limiter.OnRejected = (rejected, _) =>
            {
                var context = rejected.HttpContext;
                var problem = OrderProblems.OrdersQueued(context, context.RequestServices.GetRequiredService<OrderQueueAdmission>().RetryAfterSeconds);
                context.RequestServices.GetRequiredService<ApiTelemetry>().RecordRejected(problem.StatusCode);
                return new ValueTask(problem.ExecuteAsync(context));
            };
        });
    }
}
