using MySqlConnector;
using OrderPipeline.Processor.Orders;

namespace OrderPipeline.UnitTests;

[Trait("Category", "Unit")]
public sealed class OrderTransactionTests
{
    [Theory]
    [InlineData(MySqlErrorCode.LockDeadlock, 1213)]
    [InlineData(MySqlErrorCode.LockWaitTimeout, 1205)]
    [InlineData(MySqlErrorCode.DuplicateKeyEntry, 1062)]
    public void Retries_deadlocks_lock_wait_timeouts_and_duplicate_keys(MySqlErrorCode code, int number)
    {
        Assert.Equal(number, (int)code);
        Assert.True(OrderTransaction.IsTransient((int)code));
    }

    [Theory]
    [InlineData(MySqlErrorCode.NoSuchTable)]
    [InlineData(MySqlErrorCode.AccessDenied)]
    [InlineData(MySqlErrorCode.ParseError)]
    [InlineData(MySqlErrorCode.UnableToConnectToHost)]
    [InlineData(MySqlErrorCode.DataTooLong)]
    public void Does_not_retry_other_errors(MySqlErrorCode code)
    {
        Assert.False(OrderTransaction.IsTransient((int)code));
    }
}
