namespace OrderPipeline.Migrations;

/// <summary>The migration step's settings, bound to <c>Migrations</c>.</summary>
public sealed record MigrationOptions
{
    public const string SectionName = "Migrations";

    /// <summary>Applies db/seed.sql (sample products) after the migrations. The AppHost turns it on; production leaves it off.</summary>
    public bool SeedSampleData { get; init; }

    /// <summary>
    /// Creates the services' IAM-authenticated database users and their grants after the migrations
    /// (Aws/iam-database-users.sql, MySQL on Amazon RDS only). The AWS template turns it on; locally it stays off.
    /// </summary>
    public bool CreateIamDatabaseUsers { get; init; }

    /// <summary>How long to wait for another run of the step (a second deploy) to finish.</summary>
    public int LockTimeoutSeconds { get; init; } = 120;
}
