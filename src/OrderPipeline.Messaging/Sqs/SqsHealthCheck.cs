using Amazon.SQS;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace OrderPipeline.Messaging.Sqs;

/// <summary>Healthy when SQS answers for every queue this service uses.</summary>
internal sealed class SqsHealthCheck(IAmazonSQS sqs, QueueUrlResolver resolver, IReadOnlyList<string> queues) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            foreach (var queue in queues)
            {
                var url = await resolver.GetUrlAsync(queue, cancellationToken).ConfigureAwait(false);
                await sqs.GetQueueAttributesAsync(url, ["QueueArn"], cancellationToken).ConfigureAwait(false);
            }
            return HealthCheckResult.Healthy();
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, "SQS is not reachable: " + ex.Message);
        }
    }
}
