using System.Text;
using OrderPipeline.Messaging.Events;
using OrderPipeline.Processor.Orders;
using OrderPipeline.Processor.Outbox;

namespace OrderPipeline.UnitTests;

/// <summary>What the Processor writes into size-limited columns always fits them; refused data is told apart from outages.</summary>
[Trait("Category", "Unit")]
public sealed class BoundedColumnsTests
{
    private const string MariaDb = "5.5.5-10.11.19-MariaDB-0+deb12u1";
    private const string MySql = "8.0.39";

    private static string Id(int i, char fill = 'x') => $"{i:D2}-".PadRight(64, fill);

    [Fact]
    public void Lists_as_many_entries_as_fit_and_counts_the_rest()
    {
        var entries = Enumerable.Range(0, 50).Select(i => Id(i)).ToList();

        var reason = FailureReason.List("unknown product", entries);

        Assert.InRange(FailureReason.Length(reason), 1, FailureReason.MaxLength);
        Assert.StartsWith("unknown product: " + entries[0] + ", " + entries[1], reason, StringComparison.Ordinal);
        var shown = entries.Count(e => reason.Contains(e, StringComparison.Ordinal));
        Assert.EndsWith($" and {50 - shown} more", reason, StringComparison.Ordinal);
        Assert.True(shown >= 6, $"only {shown} named");
    }

    [Fact]
    public void Lists_everything_when_it_fits() =>
        Assert.Equal("unknown product: a, b", FailureReason.List("unknown product", ["a", "b"]));

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(9)]
    [InlineData(10)]
    [InlineData(1000)]
    public void Stays_within_the_column_at_every_count(int count)
    {
        var reason = FailureReason.List("insufficient stock", [.. Enumerable.Range(0, count).Select(i => Id(i) + " (requested 1000, available 2147483647)")]);

        Assert.InRange(FailureReason.Length(reason), 1, FailureReason.MaxLength);
    }

    [Fact]
    public void Counts_characters_as_mysql_does_one_per_code_point()
    {
        // 32 astral characters per id: 64 UTF-16 units but 32 characters to utf8mb4, so more ids fit than a
        // count in UTF-16 units would allow, and the text may exceed 500 UTF-16 units while fitting the column.
        var ids = Enumerable.Range(0, 50).Select(i => string.Concat(Enumerable.Repeat(char.ConvertFromUtf32(0x1F600 + (i % 50)), 32))).ToList();

        var reason = FailureReason.List("unknown product", ids);

        Assert.Equal(32, FailureReason.Length(ids[0]));
        Assert.InRange(FailureReason.Length(reason), 1, FailureReason.MaxLength);
        Assert.True(reason.Length > FailureReason.MaxLength, $"{reason.Length} UTF-16 units");
    }

    [Fact]
    public void Bounds_a_long_text_without_splitting_a_code_point()
    {
        var text = "a" + string.Concat(Enumerable.Repeat("\U0001F600", 600));

        var bounded = FailureReason.Bound(text);

        Assert.Equal(FailureReason.MaxLength, FailureReason.Length(bounded));
        Assert.EndsWith("\U0001F600…", bounded, StringComparison.Ordinal);
        Assert.Equal("short", FailureReason.Bound("short"));
    }

    [Fact]
    public void An_entry_too_long_for_the_column_is_counted_instead()
    {
        var reason = FailureReason.List("unknown product", [new string('x', 2000), "y"]);

        Assert.Equal("unknown product: 2 products", reason);
    }

    [Fact]
    public void Stock_check_reasons_fit_the_column_for_fifty_short_lines_of_long_ids()
    {
        var lines = Enumerable.Range(0, 50).Select(i => new OrderLine(Id(i), 1000)).ToList();

        var decision = StockCheck.Decide(lines, lines.ToDictionary(l => l.ProductId, _ => 0, StringComparer.Ordinal));

        Assert.Equal(OrderStatus.Failed, decision.Status);
        Assert.StartsWith($"insufficient stock: {Id(0)} (requested 1000, available 0)", decision.Reason, StringComparison.Ordinal);
        Assert.InRange(FailureReason.Length(decision.Reason!), 1, FailureReason.MaxLength);
    }

    [Theory]
    [InlineData(1406, MariaDb)] // data too long
    [InlineData(1406, MySql)]
    [InlineData(1264, MariaDb)] // out of range
    [InlineData(1264, MySql)]
    [InlineData(1048, MySql)]   // column cannot be null
    [InlineData(1292, MySql)]   // incorrect value (a date, say)
    [InlineData(1366, MariaDb)] // incorrect string value
    [InlineData(4025, MariaDb)] // CHECK violated (MariaDB)
    [InlineData(3819, MySql)]   // CHECK violated (MySQL)
    [InlineData(3140, MySql)]   // invalid JSON (MySQL)
    public void Data_errors_are_deterministic(int number, string server) =>
        Assert.True(DataErrors.IsDeterministic(number, server));

    [Theory]
    [InlineData(4025, MySql)]   // not a CHECK violation on MySQL
    [InlineData(3819, MariaDb)] // not a CHECK violation on MariaDB
    [InlineData(3140, MariaDb)]
    [InlineData(1213, MariaDb)] // deadlock
    [InlineData(1205, MySql)]   // lock wait timeout
    [InlineData(1290, MySql)]   // read only: an outage, not the order's fault
    [InlineData(1040, MariaDb)] // too many connections
    [InlineData(1062, MySql)]   // duplicate key: a concurrent delivery
    public void Other_errors_are_not(int number, string server) =>
        Assert.False(DataErrors.IsDeterministic(number, server));

    [Fact]
    public void The_reason_for_refused_data_names_the_error_and_fits_the_column()
    {
        var reason = DataErrors.Reason(1406, "Data too long for column 'x' at row 1 " + new string('z', 2000));

        Assert.StartsWith("rejected by the database (error 1406): Data too long", reason, StringComparison.Ordinal);
        Assert.Equal(FailureReason.MaxLength, FailureReason.Length(reason));
    }

    [Fact]
    public void Keeps_a_w3c_traceparent_and_drops_anything_longer()
    {
        const string traceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

        Assert.Equal(traceParent, TraceContext.BoundTraceParent(traceParent));
        Assert.Null(TraceContext.BoundTraceParent("|" + new string('a', 200) + "."));
        Assert.Null(TraceContext.BoundTraceParent(null));
    }

    [Fact]
    public void Cuts_a_long_tracestate_to_whole_members_from_the_left()
    {
        var members = Enumerable.Range(0, 40).Select(i => $"vendor{i:D2}={new string('v', 40)}").ToList();

        var bounded = TraceContext.BoundTraceState(string.Join(',', members));

        Assert.NotNull(bounded);
        Assert.InRange(bounded.Length, 1, OutboxStore.MaxTraceStateLength);
        Assert.StartsWith(members[0] + "," + members[1], bounded, StringComparison.Ordinal);
        Assert.All(bounded.Split(','), m => Assert.Contains(m, members));
    }

    [Fact]
    public void Keeps_a_short_tracestate_and_drops_one_that_cannot_be_kept()
    {
        Assert.Equal("a=1,b=2", TraceContext.BoundTraceState("a=1,b=2"));
        Assert.Null(TraceContext.BoundTraceState("a=" + new string('x', 600)));
        Assert.Null(TraceContext.BoundTraceState("a=caf\u00e9"));
        Assert.Null(TraceContext.BoundTraceState(""));
    }
}
