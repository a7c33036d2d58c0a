namespace OrderPipeline.AppHost.MySql;

/// <summary>A database on a <see cref="MySqlServerResource"/>; referencing it gives a service <c>ConnectionStrings__{name}</c>.</summary>
public sealed class MySqlDatabaseResource(string name, string databaseName, MySqlServerResource parent)
    : Resource(name), IResourceWithParent<MySqlServerResource>, IResourceWithConnectionString
{
    public MySqlServerResource Parent { get; } = parent;

    public string DatabaseName { get; } = databaseName;

    public ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create($"{Parent};Database={DatabaseName}");
}
