using Microsoft.AspNetCore.Http;
using OrderPipeline.Aws.Lambda;

namespace OrderPipeline.UnitTests;

[Trait("Category", "Unit")]
public sealed class LambdaInvocationsTests
{
    private static HttpRequest WithContext(string? header)
    {
        var context = new DefaultHttpContext();
        if (header is not null)
        {
            context.Request.Headers[LambdaInvocations.ContextHeader] = header;
        }
        return context.Request;
    }

    [Theory]
    [InlineData("""{"request_id":"abc-1","deadline":1}""", "abc-1")]
    [InlineData(null, null)]
    [InlineData("not json", null)]
    [InlineData("""{"deadline":1}""", null)]
    [InlineData("""["abc"]""", null)]
    public void The_request_id_is_read_from_the_adapters_lambda_context(string? header, string? expected) =>
        Assert.Equal(expected, LambdaInvocations.RequestIdOf(WithContext(header)));

    [Fact]
    public async Task An_answer_recorded_before_the_extension_waits_is_found_when_it_waits()
    {
        var invocations = new LambdaInvocations { Tracking = true };

        invocations.Answered("r-1");

        await invocations.WaitAnsweredAsync("r-1", TestContext.Current.CancellationToken)
            .WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task The_wait_ends_with_the_answer_of_its_own_invocation_only()
    {
        var invocations = new LambdaInvocations { Tracking = true };
        var waiting = invocations.WaitAnsweredAsync("r-2", TestContext.Current.CancellationToken);

        invocations.Answered("another");
        await Task.Delay(50, TestContext.Current.CancellationToken);
        Assert.False(waiting.IsCompleted);
        invocations.Answered("r-2");

        await waiting.WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task The_wait_gives_up_at_the_deadline()
    {
        var invocations = new LambdaInvocations { Tracking = true };
        using var deadline = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => invocations.WaitAnsweredAsync("never", deadline.Token));
    }
}
