namespace OrderPipeline.Migrations;

/// <summary>
/// The two ways the step runs. Locally (and from any shell) it applies the migrations and exits, which is what the
/// AppHost waits for. In AWS Lambda, where the Lambda Web Adapter forwards the invocation to <c>POST /events</c>,
/// each invocation applies them and answers with JSON, so the deployment can run it once and read the result.
/// </summary>
internal static partial class MigrationEndpoints
{
    /// <summary>Set by the Lambda runtime in every function's environment.</summary>
    public static bool RunsInLambda(IConfiguration configuration) => !string.IsNullOrEmpty(configuration["AWS_LAMBDA_RUNTIME_API"]);

    public static WebApplication MapMigrations(this WebApplication app)
    {
        app.MapPost("/events", async (DatabaseMigrator migrator, CancellationToken cancellationToken) =>
        {
            var applied = await migrator.ApplyAsync(cancellationToken);
            return TypedResults.Ok(new MigrationResult("applied", applied));
        });
        return app;
    }

    /// <summary>Applies the migrations once; 0 when they were applied, 1 when they could not be.</summary>
    public static async Task<int> RunOnceAsync(this WebApplication app)
    {
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("OrderPipeline.Migrations");
        try
        {
            await app.Services.GetRequiredService<DatabaseMigrator>().ApplyAsync(app.Lifetime.ApplicationStopping);
            return 0;
        }
        catch (Exception ex) when (ex is MySqlConnector.MySqlException or InvalidOperationException)
        {
            LogFailed(logger, ex);
            return 1;
        }
        finally
        {
            // Flush the telemetry (and the log line above) before the process ends.
            await app.DisposeAsync();
        }
    }

    [LoggerMessage(LogLevel.Critical, "Migrations could not be applied")]
    private static partial void LogFailed(ILogger logger, Exception exception);

    private sealed record MigrationResult(string Status, IReadOnlyList<string> Applied);
}
