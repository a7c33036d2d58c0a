using OrderPipeline.Processor.Outbox;

namespace OrderPipeline.UnitTests;

[Trait("Category", "Unit")]
public sealed class ErrorTextTests
{
    [Fact]
    public void A_short_error_is_kept_whole() =>
        Assert.Equal("QueueDoesNotExist: gone", ErrorText.Cut("QueueDoesNotExist: gone"));

    [Fact]
    public void A_long_error_is_cut_to_the_column() =>
        Assert.Equal(new string('x', ErrorText.MaxLength), ErrorText.Cut(new string('x', ErrorText.MaxLength + 100)));

    [Fact]
    public void The_cut_never_splits_a_surrogate_pair()
    {
        var error = new string('x', ErrorText.MaxLength - 1) + "\U0001F600" + "tail";

        var cut = ErrorText.Cut(error);

        Assert.Equal(ErrorText.MaxLength - 1, cut.Length);
        Assert.False(char.IsHighSurrogate(cut[^1]));
    }
}
