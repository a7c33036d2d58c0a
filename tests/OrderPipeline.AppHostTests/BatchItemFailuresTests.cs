using OrderPipeline.AppHost.Lambda.EventSources;

namespace OrderPipeline.AppHostTests;

/// <summary>A function's partial batch response, read with Lambda's rules for what fails one message and what fails all.</summary>
[Trait("Category", "Unit")]
public sealed class BatchItemFailuresTests
{
    private static readonly string[] Batch = ["a", "b", "c"];

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("null")]
    [InlineData("{}")]
    [InlineData("""{"batchItemFailures":null}""")]
    [InlineData("""{"batchItemFailures":[]}""")]
    [InlineData("""{"somethingElse":[{"itemIdentifier":"zzz"}]}""")]
    public void An_answer_that_names_no_failure_succeeds_every_message(string body)
    {
        var verdict = BatchItemFailures.Parse(body, Batch);

        Assert.False(verdict.WholeBatch);
        Assert.Empty(verdict.Failed);
        Assert.All(Batch, id => Assert.True(verdict.Succeeded(id)));
    }

    [Theory]
    [InlineData("""{"batchItemFailures":[{"itemIdentifier":"b"}]}""", "b")]
    [InlineData("""{"batchItemFailures":[{"itemIdentifier":"a"},{"itemIdentifier":"c"}],"other":1}""", "a,c")]
    [InlineData("""{"batchItemFailures":[{"itemIdentifier":"b","reason":"x"},{"itemIdentifier":"b"}]}""", "b")]
    public void The_messages_named_fail_and_the_others_succeed(string body, string failed)
    {
        var verdict = BatchItemFailures.Parse(body, Batch);

        Assert.False(verdict.WholeBatch);
        Assert.Equal(failed.Split(','), verdict.Failed.Order(StringComparer.Ordinal));
        Assert.Equal(Batch.Except(failed.Split(',')), Batch.Where(verdict.Succeeded));
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("""{"batchItemFailures":[{"itemIdentifier":"b"}""")]
    [InlineData("[]")]
    [InlineData("\"ok\"")]
    [InlineData("42")]
    [InlineData("""{"batchItemFailures":{}}""")]
    [InlineData("""{"batchItemFailures":"b"}""")]
    [InlineData("""{"batchItemFailures":[null]}""")]
    [InlineData("""{"batchItemFailures":["b"]}""")]
    [InlineData("""{"batchItemFailures":[{"itemIdentifier":""}]}""")]
    [InlineData("""{"batchItemFailures":[{"itemIdentifier":null}]}""")]
    [InlineData("""{"batchItemFailures":[{"itemIdentifier":7}]}""")]
    [InlineData("""{"batchItemFailures":[{"itemId":"b"}]}""")]
    [InlineData("""{"batchItemFailures":[{"ItemIdentifier":"b"}]}""")]
    [InlineData("""{"batchItemFailures":[{"itemIdentifier":"zzz"}]}""")]
    [InlineData("""{"batchItemFailures":[{"itemIdentifier":"b"},{"itemIdentifier":"zzz"}]}""")]
    public void An_answer_Lambda_cannot_read_as_a_partial_response_fails_the_whole_batch(string body)
    {
        var verdict = BatchItemFailures.Parse(body, Batch);

        Assert.True(verdict.WholeBatch);
        Assert.NotNull(verdict.Reason);
        Assert.All(Batch, id => Assert.False(verdict.Succeeded(id)));
    }
}
