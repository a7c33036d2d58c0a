using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using MySqlConnector;
using OrderPipeline.Data;

namespace OrderPipeline.UnitTests.Outages;

[Trait("Category", "Unit")]
public sealed class MySqlOutageDetectorTests
{
    [Theory]
    [InlineData(1290)] // read-only (a failover in progress)
    [InlineData(1836)] // MySQL read-only mode
    [InlineData(1792)] // write in a read-only transaction (a reader endpoint)
    [InlineData(1040)] // too many connections
    [InlineData(1203)] // max_user_connections
    [InlineData(1205)] // lock wait timeout, after the transaction's own retries
    [InlineData(1213)] // deadlock, likewise
    [InlineData(1053)] // server shutting down
    [InlineData(2006)] // server has gone away
    [InlineData(2013)] // lost connection during a query
    public void Errors_about_the_server_are_outages(int number) => Assert.True(MySqlOutageDetector.IsOutageErrorNumber(number));

    [Theory]
    [InlineData(1048)] // column cannot be null
    [InlineData(1062)] // duplicate key
    [InlineData(1064)] // syntax error: a bug, not an outage
    [InlineData(1264)] // out of range
    [InlineData(1366)] // incorrect string value
    [InlineData(1406)] // data too long
    [InlineData(3819)] // MySQL CHECK
    [InlineData(4025)] // MariaDB CHECK
    public void Errors_about_the_data_are_not(int number) => Assert.False(MySqlOutageDetector.IsOutageErrorNumber(number));

    [Fact]
    public void Timeouts_and_broken_connections_anywhere_in_the_chain_are_outages()
    {
        var detector = Detector("Server=127.0.0.1;Port=1");
        Assert.True(detector.IsOutage(new TimeoutException()));
        Assert.True(detector.IsOutage(new InvalidOperationException("wrapped", new IOException("connection reset"))));
        Assert.True(detector.IsOutage(new AggregateException(new ArgumentException(), new System.Net.Sockets.SocketException())));
        Assert.False(detector.IsOutage(new InvalidOperationException("a bug")));
        Assert.False(detector.IsOutage(new FormatException()));
    }

    [Fact]
    public async Task The_probe_of_an_unreachable_server_says_down_without_throwing()
    {
        var detector = Detector("Server=127.0.0.1;Port=1;User ID=x;Password=y;Connection Timeout=2");
        Assert.False(await detector.ProbeAsync(TestContext.Current.CancellationToken));
    }

    private static MySqlOutageDetector Detector(string connectionString) =>
        new(new MySqlDataSource(connectionString), "UPDATE inventory SET quantity_available = quantity_available WHERE FALSE",
            TimeSpan.FromSeconds(2), NullLogger<MySqlOutageDetector>.Instance);
}
