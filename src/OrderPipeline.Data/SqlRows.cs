using System.Globalization;
using Dapper;

namespace OrderPipeline.Data;

/// <summary>
/// Writes one statement for many rows, still fully parameterised: a multi-row VALUES list or a CASE over keys, with a
/// parameter per value. One statement per batch instead of one per row is what batching saves; MySQL 8 and MariaDB
/// run both forms alike (unlike <c>INSERT … ON DUPLICATE KEY UPDATE</c> with <c>VALUES()</c> or row aliases).
/// </summary>
public static class SqlRows
{
    /// <summary>
    /// <c>(@a0, @b0), (@a1, @b1), …</c> for <paramref name="count"/> rows, adding each row's values to
    /// <paramref name="parameters"/> under the names the <paramref name="row"/> template gives them.
    /// </summary>
    /// <param name="row">A row's SQL with <c>{0}</c> where the row's number goes: <c>(@OrderId{0}, 'PENDING')</c>.</param>
    /// <param name="values">A row's parameter values by name (without the number).</param>
    public static string Values<T>(IReadOnlyList<T> rows, string row, DynamicParameters parameters, Func<T, IEnumerable<(string Name, object? Value)>> values)
    {
        for (var i = 0; i < rows.Count; i++)
        {
            foreach (var (name, value) in values(rows[i]))
            {
                parameters.Add(name + i.ToString(CultureInfo.InvariantCulture), value);
            }
        }
        return string.Join(", ", Enumerable.Range(0, rows.Count).Select(i => string.Format(CultureInfo.InvariantCulture, row, i)));
    }

    /// <summary>
    /// <c>CASE key WHEN @k0 THEN @v0 … END</c>: a different value for each row of one UPDATE. The keys' parameters
    /// (<c>@{keyName}{i}</c>) must already be in <paramref name="parameters"/>.
    /// </summary>
    public static string Case<T>(
        string keyColumn, string keyName, IReadOnlyList<T> rows, string valueName, DynamicParameters parameters,
        Func<T, object?> value)
    {
        var whens = new List<string>(rows.Count);
        for (var i = 0; i < rows.Count; i++)
        {
            var number = i.ToString(CultureInfo.InvariantCulture);
            parameters.Add(valueName + number, value(rows[i]));
            whens.Add($"WHEN @{keyName}{number} THEN @{valueName}{number}");
        }
        return $"CASE {keyColumn} {string.Join(' ', whens)} END";
    }

    /// <summary><c>@k0, @k1, …</c>: the keys' parameters as an IN list, adding them to <paramref name="parameters"/>.</summary>
    public static string Keys<T>(IReadOnlyList<T> rows, string keyName, DynamicParameters parameters, Func<T, object?> key)
    {
        for (var i = 0; i < rows.Count; i++)
        {
            parameters.Add(keyName + i.ToString(CultureInfo.InvariantCulture), key(rows[i]));
        }
        return string.Join(", ", Enumerable.Range(0, rows.Count).Select(i => "@" + keyName + i.ToString(CultureInfo.InvariantCulture)));
    }
}
