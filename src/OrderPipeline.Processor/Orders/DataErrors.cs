namespace OrderPipeline.Processor.Orders;

/// <summary>
/// Database errors about the data itself: the same statement with the same values fails the same way on every
/// retry, so retrying (and in the end the DLQ) cannot help. The order transaction settles such an order FAILED.
/// </summary>
public static class DataErrors
{
    // The same number and meaning on MySQL 8 and MariaDB 10.11.
    private const int ColumnCannotBeNull = 1048;
    private const int OutOfRange = 1264;
    private const int DataTruncated = 1265;
    private const int IncorrectValue = 1292;
    private const int IncorrectStringValue = 1366;
    private const int DataTooLong = 1406;
    private const int ArithmeticOutOfRange = 1690;

    // These differ between the servers, and each number means something else (or nothing) on the other one:
    // only ever read them together with the server that sent them.
    private const int MySqlInvalidJson = 3140;
    private const int MySqlCheckViolated = 3819;
    private const int MariaDbConstraintFailed = 4025; // a CHECK, json_valid() on a JSON column included

    /// <summary>True for an error that will fail identically on every retry.</summary>
    /// <param name="errorNumber">The server's error number.</param>
    /// <param name="serverVersion">The connection's ServerVersion (MariaDB reports e.g. "5.5.5-10.11.19-MariaDB").</param>
    public static bool IsDeterministic(int errorNumber, string serverVersion) => errorNumber switch
    {
        ColumnCannotBeNull or OutOfRange or DataTruncated or IncorrectValue or IncorrectStringValue or DataTooLong or ArithmeticOutOfRange => true,
        MySqlInvalidJson or MySqlCheckViolated => !IsMariaDb(serverVersion),
        MariaDbConstraintFailed => IsMariaDb(serverVersion),
        _ => false,
    };

    /// <summary>The reason an order refused by the database is settled with: short, and within the column's limit.</summary>
    public static string Reason(int errorNumber, string message) =>
        FailureReason.Bound($"rejected by the database (error {errorNumber}): {message}");

    internal static bool IsMariaDb(string serverVersion) => serverVersion.Contains("MariaDB", StringComparison.OrdinalIgnoreCase);
}
