using OrderPipeline.Migrations;
using OrderPipeline.Testing;

namespace OrderPipeline.UnitTests;

[Trait("Category", "Unit")]
public sealed class MigrationScriptTests
{
    [Fact]
    public void Every_file_in_db_migrations_is_embedded_once_in_version_order()
    {
        var files = Directory.GetFiles(Path.Combine(RepositoryRoot.Path, "db", "migrations"), "*.sql")
            .Select(Path.GetFileNameWithoutExtension).Order(StringComparer.Ordinal);
        var embedded = MigrationScript.Embedded();

        Assert.Equal(files, embedded.Select(s => $"{s.Version:D4}_{s.Name}"));
        Assert.Equal(embedded.Select(s => s.Version).Order(), embedded.Select(s => s.Version));
        Assert.Equal(1, embedded[0].Version);
    }

    [Theory]
    [InlineData("schema.sql")]
    [InlineData("1_initial.sql")]
    [InlineData("0002-outbox.sql")]
    [InlineData("0002_Outbox.sql")]
    public void A_file_name_that_does_not_read_NNNN_name_sql_is_refused(string fileName) =>
        Assert.Throws<InvalidOperationException>(() => MigrationScript.Parse(fileName, "SELECT 1"));

    [Fact]
    public void The_checksum_ignores_line_endings_but_not_content()
    {
        var unix = MigrationScript.Parse("0007_x.sql", "CREATE TABLE t (a INT);\nSELECT 1;\n");
        var windows = MigrationScript.Parse("0007_x.sql", "CREATE TABLE t (a INT);\r\nSELECT 1;\r\n");
        var edited = MigrationScript.Parse("0007_x.sql", "CREATE TABLE t (a BIGINT);\nSELECT 1;\n");

        Assert.Equal(7, unix.Version);
        Assert.Equal("x", unix.Name);
        Assert.Equal(unix.Checksum, windows.Checksum);
        Assert.NotEqual(unix.Checksum, edited.Checksum);
    }
}
