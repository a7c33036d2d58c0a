using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using MySqlConnector;

namespace OrderPipeline.AppHost.MySql;

/// <summary>
/// MySQL for the app model, as a local MariaDB server. Names and shapes follow Aspire.Hosting.MySql
/// (<c>AddMySql</c>, <c>AddDatabase</c>, a "tcp" endpoint, a password parameter, health checks), so that with a
/// container engine that package can take its place by changing the <c>using</c> and the data-directory line.
/// </summary>
public static class MySqlBuilderExtensions
{
    /// <summary>
    /// A MariaDB server on loopback. Its application user's password is the secret parameter <c>{name}-password</c>
    /// (generated unless configured); its data live in <c>.data/{name}</c> beside the AppHost unless
    /// <see cref="WithDataDirectory"/> says otherwise.
    /// </summary>
    public static IResourceBuilder<MySqlServerResource> AddMySql(this IDistributedApplicationBuilder builder, [ResourceName] string name,
        IResourceBuilder<ParameterResource>? password = null, int? port = null)
    {
        var serverPath = MariaDb.Find("mariadbd")
            ?? throw new DistributedApplicationException("MariaDB is not installed: run 'bash eng/setup.sh' (or 'apt-get install -y mariadb-server mariadb-client').");
        var passwordParameter = password?.Resource
            ?? ParameterResourceBuilderExtensions.CreateDefaultPasswordParameter(builder, $"{name}-password", special: false);
        var server = new MySqlServerResource(name, serverPath, Path.Combine(builder.AppHostDirectory, ".data", name), passwordParameter);

        var healthCheckKey = $"{name}_check";
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(healthCheckKey, _ => new MySqlHealthCheck(server), failureStatus: null, tags: null));

        return builder.AddResource(server)
            // Not proxied: every query would otherwise pass through DCP's proxy process, which cost about a tenth of the
            // system's CPU per order under load (DCP 1.1 ms of about 12 ms per order; 0.06 ms without its proxies, in
            // the benchmark suite). The server keeps its port across restarts.
            .WithEndpoint(port: port, name: MySqlServerResource.PrimaryEndpointName, scheme: "tcp", isProxied: false)
            .WithArgs(context =>
            {
                context.Args.Add("--no-defaults");
                foreach (var argument in MariaDb.UserArguments)
                {
                    context.Args.Add(argument);
                }
                context.Args.Add($"--datadir={server.DataDirectory}");
                context.Args.Add($"--socket={server.SocketPath}");
                context.Args.Add($"--pid-file={server.PidFilePath}");
                context.Args.Add($"--log-error={server.ErrorLogPath}");
                context.Args.Add($"--init-file={server.InitFilePath}");
                context.Args.Add("--bind-address=127.0.0.1");
                context.Args.Add(ReferenceExpression.Create($"--port={server.PrimaryEndpoint.Property(EndpointProperty.TargetPort)}"));
                context.Args.Add("--skip-name-resolve");
                context.Args.Add($"--sql-mode={MariaDb.SqlMode}");
                context.Args.Add("--default-time-zone=+00:00");
                context.Args.Add("--character-set-server=utf8mb4");
                context.Args.Add("--collation-server=utf8mb4_unicode_ci");
                // Keeps a fresh data directory near 26 MB instead of about 100.
                context.Args.Add("--innodb-log-file-size=8M");
                context.Args.Add("--max-connections=500");
            })
            .OnBeforeResourceStarted(async (resource, @event, cancellationToken) =>
            {
                var logger = @event.Services.GetRequiredService<ResourceLoggerService>().GetLogger(resource);
                var reset = resource.TryGetLastAnnotation<ResetDataAnnotation>(out var annotation) && annotation.TryTake();
                await MariaDbDataDirectory.PrepareAsync(resource, reset, logger, cancellationToken).ConfigureAwait(false);
            })
            .WithIconName("DatabaseMultiple")
            .WithHealthCheck(healthCheckKey);
    }

    /// <summary>Keeps the server's data in <paramref name="path"/> between runs; <paramref name="reset"/> empties it on this run's first start.</summary>
    public static IResourceBuilder<MySqlServerResource> WithDataDirectory(this IResourceBuilder<MySqlServerResource> builder, string path, bool reset = false)
    {
        builder.Resource.Home = Path.GetFullPath(path);
        builder.WithWorkingDirectory(builder.Resource.Home);
        return reset ? builder.WithAnnotation(new ResetDataAnnotation(), ResourceAnnotationMutationBehavior.Replace) : builder;
    }

    /// <summary>A database on the server, created (with the application user's grants) each time the server starts.</summary>
    public static IResourceBuilder<MySqlDatabaseResource> AddDatabase(this IResourceBuilder<MySqlServerResource> builder, [ResourceName] string name, string? databaseName = null)
    {
        var database = new MySqlDatabaseResource(name, databaseName ?? name, builder.Resource);
        builder.Resource.AddDatabase(database);

        var healthCheckKey = $"{name}_check";
        builder.ApplicationBuilder.Services.AddHealthChecks().Add(new HealthCheckRegistration(healthCheckKey, _ => new MySqlHealthCheck(database), failureStatus: null, tags: null));

        return builder.ApplicationBuilder.AddResource(database)
            .WithParentRelationship(builder)
            .OnInitializeResource((resource, @event, initializeCancellation) =>
            {
                // Aspire gives a container's children its state, not an executable's: the database follows its server here.
                var stopping = @event.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
                _ = FollowServerStateAsync(resource, @event.Notifications, stopping);
                return Task.CompletedTask;
            })
            .WithIconName("Database")
            .WithInitialState(new CustomResourceSnapshot { ResourceType = "MySQL database", State = KnownResourceStates.Waiting, Properties = [] })
            .WithHealthCheck(healthCheckKey);
    }

    private static async Task FollowServerStateAsync(MySqlDatabaseResource database, ResourceNotificationService notifications, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var update in notifications.WatchAsync(cancellationToken).ConfigureAwait(false))
            {
                if (update.Resource == database.Parent)
                {
                    await notifications.PublishUpdateAsync(database, s => s with
                    {
                        State = update.Snapshot.State,
                        StartTimeStamp = update.Snapshot.StartTimeStamp,
                        StopTimeStamp = update.Snapshot.StopTimeStamp,
                    }).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The AppHost is stopping.
        }
    }

    /// <summary>
    /// A dashboard command that empties the database and runs <paramref name="migrations"/> again, which applies the
    /// schema and the sample data: the local "start over" without restarting anything else.
    /// </summary>
    public static IResourceBuilder<MySqlDatabaseResource> WithResetCommand(this IResourceBuilder<MySqlDatabaseResource> builder, IResourceBuilder<IResource> migrations) =>
        builder.WithCommand("reset-database", "Reset to schema and sample data",
            context => DatabaseReset.RunAsync(builder.Resource, migrations.Resource, context),
            new CommandOptions
            {
                Description = $"Drops every table in {builder.Resource.DatabaseName} and runs {migrations.Resource.Name} again.",
                ConfirmationMessage = $"Delete every order and put back the sample inventory in {builder.Resource.DatabaseName}?",
                IconName = "ArrowReset",
                UpdateState = context => context.ResourceSnapshot.HealthStatus == HealthStatus.Healthy
                    ? ResourceCommandState.Enabled
                    : ResourceCommandState.Disabled,
            });

    /// <summary>Set by <see cref="WithDataDirectory"/> when the data directory is to be emptied; taken by the first start only.</summary>
    private sealed class ResetDataAnnotation : IResourceAnnotation
    {
        private int _taken;

        public bool TryTake() => Interlocked.Exchange(ref _taken, 1) == 0;
    }
}
