using OrderPipeline.Api.Orders;

namespace OrderPipeline.UnitTests;

[Trait("Category", "Unit")]
public sealed class OrderIdsTests
{
    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }

    private static readonly DateTimeOffset Now = new(2025, 3, 14, 15, 9, 26, 535, TimeSpan.Zero);

    [Fact]
    public void New_gives_a_version_7_uuid_issued_at_the_clock_time_to_the_millisecond()
    {
        var id = Guid.Parse(OrderIds.New(new FixedClock(Now)));

        Assert.Equal(7, id.Version);
        Assert.InRange(id.Variant, 0x8, 0xB);
        Assert.Equal(Now, OrderIds.IssuedAt(id));
    }

    [Fact]
    public void New_reads_the_clock_it_is_given_not_the_system_clock()
    {
        var past = new DateTimeOffset(2001, 2, 3, 4, 5, 6, 789, TimeSpan.Zero);

        Assert.Equal(past, OrderIds.IssuedAt(Guid.Parse(OrderIds.New(new FixedClock(past)))));
    }

    [Fact]
    public void New_gives_distinct_ids_in_the_same_millisecond()
    {
        var clock = new FixedClock(Now);
        var ids = Enumerable.Range(0, 100).Select(_ => OrderIds.New(clock)).ToList();

        Assert.Equal(ids.Count, ids.Distinct(StringComparer.Ordinal).Count());
        Assert.All(ids, id => Assert.Equal(Now, OrderIds.IssuedAt(Guid.Parse(id))));
    }

    [Fact]
    public void New_formats_the_id_as_a_lowercase_hyphenated_uuid()
    {
        var id = OrderIds.New(new FixedClock(Now));

        Assert.Matches("^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", id);
    }

    [Fact]
    public void IssuedAt_is_null_for_a_version_8_id()
    {
        // A name-based id, as keyed orders had before keys were remembered: it carries no time.
        Assert.Null(OrderIds.IssuedAt(Guid.Parse("418b4d15-d2c9-81f6-8f95-a0e6ccdc17b4")));
    }

    [Fact]
    public void IssuedAt_is_null_for_a_version_4_id()
    {
        Assert.Null(OrderIds.IssuedAt(Guid.Parse("3f1c8a2e-8d4b-4c1e-9a7f-0b6d5e4c3a21")));
    }

    [Fact]
    public void IssuedAt_is_null_for_the_empty_id()
    {
        Assert.Null(OrderIds.IssuedAt(Guid.Empty));
    }

    [Fact]
    public void IssuedAt_reads_the_timestamp_of_any_version_7_id()
    {
        // 0x0195_9552_2B57 ms after the epoch, written big-endian in the first 48 bits.
        var id = Guid.Parse("01959552-2b57-7000-8000-000000000000");

        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(0x0195_9552_2B57), OrderIds.IssuedAt(id));
    }
}
