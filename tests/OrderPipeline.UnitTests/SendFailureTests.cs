using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using Amazon.SQS;
using Amazon.SQS.Model;
using OrderPipeline.Messaging.Publishing;

namespace OrderPipeline.UnitTests;

[Trait("Category", "Unit")]
public sealed class SendFailureTests
{
    public static TheoryData<string, Exception> NothingStored => new()
    {
        {
            "connection refused",
            new HttpRequestException(HttpRequestError.ConnectionError, "Connection refused (127.0.0.1:1)",
                new SocketException((int)SocketError.ConnectionRefused))
        },
        { "unknown host", new HttpRequestException(HttpRequestError.NameResolutionError, "Name or service not known") },
        { "TLS handshake failed", new HttpRequestException(HttpRequestError.SecureConnectionError, "The SSL connection could not be established") },
        { "queue does not exist", new QueueDoesNotExistException("The specified queue does not exist.") { StatusCode = HttpStatusCode.BadRequest } },
        { "credentials refused", new AmazonSQSException("The security token included in the request is invalid.") { StatusCode = HttpStatusCode.Forbidden } },
        { "throttled", new AmazonSQSException("Rate exceeded") { StatusCode = HttpStatusCode.BadRequest } },
    };

    public static TheoryData<string, Exception> MaybeStored => new()
    {
        {
            "timed out",
            new TaskCanceledException("The operation was canceled.",
                new IOException("Unable to read data from the transport connection: Operation canceled."))
        },
        { "response ended after the request was sent", new HttpIOException(HttpRequestError.ResponseEnded, "The response ended prematurely.") },
        {
            "connection reset",
            new HttpRequestException(HttpRequestError.Unknown, "An error occurred while sending the request.",
                new IOException("Connection reset by peer", new SocketException((int)SocketError.ConnectionReset)))
        },
        { "5xx", new AmazonSQSException("We encountered an internal error.") { StatusCode = HttpStatusCode.InternalServerError } },
        { "503 from SQS", new AmazonSQSException("Service unavailable") { StatusCode = HttpStatusCode.ServiceUnavailable } },
        { "anything unexpected", new InvalidOperationException("surprise") },
    };

    [Theory]
    [MemberData(nameof(NothingStored))]
    public void A_failure_before_sending_or_a_refusal_by_sqs_stored_nothing(string what, Exception failure)
    {
        Assert.False(SendFailure.MayHaveBeenStored(failure), what);
    }

    [Theory]
    [MemberData(nameof(MaybeStored))]
    public void A_failure_after_the_request_may_have_left_is_unknown(string what, Exception failure)
    {
        Assert.True(SendFailure.MayHaveBeenStored(failure), what);
    }
}
