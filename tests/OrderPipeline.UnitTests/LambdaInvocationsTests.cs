using System.Diagnostics;
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

    private static LambdaInvocations Tracking()
    {
        var invocations = new LambdaInvocations();
        invocations.StartTracking();
        return invocations;
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
        using var invocations = Tracking();

        invocations.AnsweredAtEndOf(null, "r-1");

        await invocations.WaitAnsweredAsync("r-1", TestContext.Current.CancellationToken)
            .WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task The_wait_ends_with_the_answer_of_its_own_invocation_only()
    {
        using var invocations = Tracking();
        var waiting = invocations.WaitAnsweredAsync("r-2", TestContext.Current.CancellationToken);

        invocations.AnsweredAtEndOf(null, "another");
        await Task.Delay(50, TestContext.Current.CancellationToken);
        Assert.False(waiting.IsCompleted);
        invocations.AnsweredAtEndOf(null, "r-2");

        await waiting.WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task The_wait_gives_up_at_the_deadline()
    {
        using var invocations = Tracking();
        using var deadline = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => invocations.WaitAnsweredAsync("never", deadline.Token));
    }

    [Fact]
    public async Task A_request_with_a_span_is_answered_when_the_span_ends_after_the_exporters_have_taken_it()
    {
        using var hosting = new ActivitySource("Microsoft.AspNetCore");
        Activity? exported = null;
        // Stands in for the tracer provider's listener, which is there before the extension starts tracking.
        using var exporter = new ActivityListener
        {
            ShouldListenTo = source => ReferenceEquals(source, hosting),
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = span => exported = span,
        };
        ActivitySource.AddActivityListener(exporter);
        using var invocations = Tracking();
        var span = hosting.StartActivity("POST /events");
        Assert.NotNull(span);

        invocations.AnsweredAtEndOf(span, "r-4");
        var waiting = invocations.WaitAnsweredAsync("r-4", TestContext.Current.CancellationToken);
        await Task.Delay(50, TestContext.Current.CancellationToken);
        Assert.False(waiting.IsCompleted);
        span.Stop();

        await waiting.WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
        Assert.Same(span, exported);
    }
}
