namespace OrderPipeline.AppHost.MySql;

/// <summary>Where Debian's MariaDB programs are, and how they are started on these machines.</summary>
internal static class MariaDb
{
    /// <summary>MySQL 8.0's defaults, so that MariaDB refuses what RDS MySQL would refuse.</summary>
    public const string SqlMode = "ONLY_FULL_GROUP_BY,STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION";

    /// <summary>mariadbd refuses to run as root unless told to; as anyone else it runs as that user.</summary>
    public static string[] UserArguments => Environment.UserName == "root" ? ["--user=root"] : [];

    public static string? Find(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Append("/usr/sbin").Append("/usr/bin")
            .Select(directory => Path.Combine(directory, program))
            .FirstOrDefault(File.Exists);
}
