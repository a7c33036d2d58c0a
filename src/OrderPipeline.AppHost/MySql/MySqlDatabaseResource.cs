namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// A resource that represents a MySQL database. This is a child resource of a <see cref="MySqlServerResource"/>;
/// referencing it gives a service <c>ConnectionStrings__{name}</c>.
/// </summary>
/// <param name="name">The name of the resource.</param>
/// <param name="databaseName">The database name.</param>
/// <param name="parent">The MySQL server resource the database is on.</param>
public sealed class MySqlDatabaseResource(string name, string databaseName, MySqlServerResource parent)
    : Resource(name), IResourceWithParent<MySqlServerResource>, IResourceWithConnectionString
{
    /// <summary>
    /// Gets the parent MySQL server resource.
    /// </summary>
    public MySqlServerResource Parent { get; } = parent ?? throw new ArgumentNullException(nameof(parent));

    /// <summary>
    /// Gets the database name.
    /// </summary>
    public string DatabaseName { get; } = !string.IsNullOrEmpty(databaseName)
        ? databaseName
        : throw new ArgumentException("The database name is null or empty.", nameof(databaseName));

    /// <summary>
    /// Gets the connection string expression for the MySQL database: the server's, with <c>Database</c> added.
    /// </summary>
    public ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create($"{Parent};Database={DatabaseName}");
}
