using System.Net;
using OrderPipeline.FaultRun;
using OrderPipeline.Testing;

namespace OrderPipeline.FunctionalTests.Reliability;

/// <summary>
/// The fault run's options and report without a system: <c>--lambda</c>, what the clients take for API Gateway's own
/// answers, and docs/reliability.md keeping each shape's part when the other's run writes.
/// </summary>
public sealed class FaultRunReportTests
{
    [Fact]
    public void The_command_line_picks_the_shape_and_the_sizes()
    {
        var full = FaultRunOptions.Parse(["--lambda", "--report", "docs/reliability.md"]);
        Assert.Equal((true, 3000, 240, 60, "docs/reliability.md"), (full.Lambda, full.Orders, full.LoadSeconds, full.OutageSeconds, full.ReportPath));

        var medium = FaultRunOptions.Parse(["1000", "120", "40", "--lambda"]);
        Assert.Equal((true, 1000, 120, 40), (medium.Lambda, medium.Orders, medium.LoadSeconds, medium.OutageSeconds));

        Assert.False(FaultRunOptions.Parse(["--short"]).Lambda);
    }

    [Theory]
    [InlineData(429, """{"message":"Too Many Requests"}""", true)]
    [InlineData(500, """{"message":"Internal Server Error"}""", true)]
    [InlineData(503, """{"message":"Service Unavailable"}""", true)]
    // The Api's own answers: a 500 of its own is not API Gateway's, and its 503 names the order or says nothing was accepted.
    [InlineData(500, """{"type":"about:blank","title":"An error occurred","status":500}""", false)]
    [InlineData(503, """{"type":"urn:orderpipeline:problem:outcome-unknown","status":503,"order_id":"x"}""", false)]
    [InlineData(202, """{"order_id":"x","status":"PENDING"}""", false)]
    public void Only_API_Gateways_own_answers_are_retried_as_a_gateway_client_retries(int status, string body, bool own) =>
        Assert.Equal(own, ApiGatewayAnswers.IsGatewayOwn((HttpStatusCode)status, body));

    [Fact]
    public void Each_shapes_run_replaces_its_own_part_of_the_report_and_keeps_the_others()
    {
        var laptop = Result(lambda: false, verdict: true);
        var lambda = Result(lambda: true, verdict: true);

        var both = ReliabilityReport.Merge(ReliabilityReport.Merge(null, laptop), lambda);
        Assert.StartsWith("# Reliability: the fault run\n", both, StringComparison.Ordinal);
        Assert.Single(Occurrences(both, ReliabilityReport.LambdaHeading + "\n"));
        Assert.Contains("\n### Figures\n", both, StringComparison.Ordinal);

        // The laptop's run again: its part is new, the Lambda shape's section stays as it was, at the end.
        var again = ReliabilityReport.Merge(both, Result(lambda: false, verdict: false));
        Assert.Contains("**Verdict: FAILED.**", again[..again.IndexOf(ReliabilityReport.LambdaHeading, StringComparison.Ordinal)], StringComparison.Ordinal);
        Assert.Equal(both[both.IndexOf(ReliabilityReport.LambdaHeading, StringComparison.Ordinal)..],
            again[again.IndexOf(ReliabilityReport.LambdaHeading, StringComparison.Ordinal)..]);

        // The Lambda shape's run again: one section, the laptop's part untouched.
        var lambdaAgain = ReliabilityReport.Merge(again, Result(lambda: true, verdict: false));
        Assert.Single(Occurrences(lambdaAgain, ReliabilityReport.LambdaHeading + "\n"));
        Assert.Equal(again[..again.IndexOf(ReliabilityReport.LambdaHeading, StringComparison.Ordinal)],
            lambdaAgain[..lambdaAgain.IndexOf(ReliabilityReport.LambdaHeading, StringComparison.Ordinal)]);
    }

    private static FaultRunResult Result(bool lambda, bool verdict) => new(
        FaultRunOptions.Short with { Lambda = lambda },
        DateTimeOffset.UnixEpoch,
        [new FaultEvent("a fault", 1, null, null)],
        [new Check("a check", verdict, "found")],
        new Dictionary<string, string>(StringComparer.Ordinal) { ["a figure"] = "1" },
        lambda ? TimeSpan.FromSeconds(6) : null);

    private static IEnumerable<int> Occurrences(string text, string part)
    {
        for (var at = text.IndexOf(part, StringComparison.Ordinal); at >= 0; at = text.IndexOf(part, at + 1, StringComparison.Ordinal))
        {
            yield return at;
        }
    }
}
