using OrderPipeline.AppHost.Lambda;

namespace OrderPipeline.AppHostTests;

/// <summary>
/// <c>AWS_LWA_ERROR_STATUS_CODES</c> as the function host reads it: the statuses of the program's answers that make an
/// invocation a function error (ranges and single codes, comma-separated); without it, none.
/// </summary>
[Trait("Category", "Unit")]
public sealed class LambdaErrorStatusCodesTests
{
    [Theory]
    [InlineData(499, false)]
    [InlineData(500, true)]
    [InlineData(503, true)]
    [InlineData(599, true)]
    [InlineData(600, false)]
    [InlineData(200, false)]
    public void A_range_takes_both_of_its_bounds_and_what_lies_between(int status, bool error) =>
        Assert.Equal(error, LambdaFunctionHost.ErrorStatusCodes("500-599")(status));

    [Theory]
    [InlineData(500, true)]
    [InlineData(501, false)]
    [InlineData(502, true)]
    [InlineData(503, true)]
    [InlineData(504, true)]
    [InlineData(505, false)]
    public void Codes_and_ranges_combine(int status, bool error)
    {
        Assert.Equal(error, LambdaFunctionHost.ErrorStatusCodes("500,502-504")(status));
        // Spaces around the parts are no part of them.
        Assert.Equal(error, LambdaFunctionHost.ErrorStatusCodes(" 500 , 502 - 504 ")(status));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData(" ")]
    public void Without_the_setting_no_status_is_an_error(string? setting)
    {
        var isError = LambdaFunctionHost.ErrorStatusCodes(setting);

        Assert.All((int[])[200, 404, 500, 502, 599], status => Assert.False(isError(status), $"{status} counted as an error"));
    }
}
