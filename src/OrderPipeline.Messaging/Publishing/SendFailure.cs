using System.Net;
using Amazon.Runtime;

namespace OrderPipeline.Messaging.Publishing;

/// <summary>
/// Tells a send that certainly did not store the message from one whose outcome is unknown. A message may be on the
/// queue although the send failed: SQS can store it and the answer be lost (a timeout, a connection reset after the
/// request went out, a 5xx). Only a refusal before the request was sent, or an answer from SQS that it refused it,
/// proves that nothing was stored.
/// </summary>
public static class SendFailure
{
    /// <summary>False only when <paramref name="exception"/> proves the message was not stored; true when in doubt.</summary>
    public static bool MayHaveBeenStored(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                // SQS answered and refused: the queue does not exist, the credentials or signature were refused,
                // throttled, a bad request. A 4xx is SQS's word that it did nothing.
                case AmazonServiceException { StatusCode: >= HttpStatusCode.BadRequest and < HttpStatusCode.InternalServerError }:
                    return false;
                // No connection was made, so no request was sent (refused, unknown host, TLS handshake failed).
                case HttpRequestException
                {
                    HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError
                        or HttpRequestError.SecureConnectionError or HttpRequestError.ProxyTunnelError,
                }:
                    return false;
            }
        }
        // Timeouts (the request may have been sent), "the response ended prematurely", 5xx, anything unexpected.
        return true;
    }
}
