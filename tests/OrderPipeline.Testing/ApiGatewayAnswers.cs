using System.Net;

namespace OrderPipeline.Testing;

/// <summary>
/// What API Gateway itself answers (the Lambda shape's HTTP API), as opposed to the Api's answers it passes on: a
/// client retries these, as API Gateway's clients must. Shared by the fault run's clients and the benchmarks'.
/// </summary>
public static class ApiGatewayAnswers
{
    /// <summary>API Gateway's answer when the invocation failed or was throttled, exactly as it words it.</summary>
    public const string GatewayError = "{\"message\":\"Internal Server Error\"}";

    /// <summary>API Gateway's answer when the function outlived the integration timeout.</summary>
    public const string GatewayUnavailable = "{\"message\":\"Service Unavailable\"}";

    /// <summary>API Gateway's own answers: its throttle, and its 500 and 503 for an invocation that did not answer (no problem+json, no order id).</summary>
    public static bool IsGatewayOwn(HttpStatusCode status, string body) => status switch
    {
        HttpStatusCode.TooManyRequests => true,
        HttpStatusCode.InternalServerError => body == GatewayError,
        HttpStatusCode.ServiceUnavailable => body == GatewayUnavailable,
        _ => false,
    };
}
