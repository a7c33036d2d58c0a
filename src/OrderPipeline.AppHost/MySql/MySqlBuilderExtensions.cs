using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using OrderPipeline.AppHost.MySql;

namespace Aspire.Hosting;

/// <summary>
/// Provides extension methods for adding MySQL resources, run as a local MariaDB server, to an
/// <see cref="IDistributedApplicationBuilder"/>. Names and shapes follow Aspire.Hosting.MySql (<c>AddMySql</c>,
/// <c>AddDatabase</c>, a "tcp" endpoint, a password parameter, health checks), so that with a container engine that
/// package can take its place: <see cref="WithDataDirectory"/> becomes <c>WithDataBindMount</c> or <c>WithDataVolume</c>.
/// </summary>
public static class MySqlBuilderExtensions
{
    /// <summary>
    /// Adds a MySQL server resource to the application model: a MariaDB server on loopback, run as an executable.
    /// </summary>
    /// <param name="builder">The <see cref="IDistributedApplicationBuilder"/>.</param>
    /// <param name="name">The name of the resource.</param>
    /// <param name="password">The parameter used to provide the application user's password. If <see langword="null"/>
    /// the secret parameter <c>{name}-password</c> is used, generated unless configured.</param>
    /// <param name="port">The host port for MySQL. If <see langword="null"/> a free port is chosen.</param>
    /// <returns>A reference to the <see cref="IResourceBuilder{T}"/>.</returns>
    /// <remarks>
    /// The server's data live in <c>.data/{name}</c> beside the AppHost unless <see cref="WithDataDirectory"/> says
    /// otherwise. The resource has a health check: a resource that waits for it waits until it answers queries.
    /// A server that is not installed fails to start, and its console says how to install it.
    /// </remarks>
    public static IResourceBuilder<MySqlServerResource> AddMySql(this IDistributedApplicationBuilder builder, [ResourceName] string name,
        IResourceBuilder<ParameterResource>? password = null, int? port = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(name);

        // Found when it starts, not when the model is built: publishing or deploying needs no local MariaDB.
        var serverPath = MariaDb.Find("mariadbd") ?? "mariadbd";
        var passwordParameter = password?.Resource
            ?? ParameterResourceBuilderExtensions.CreateDefaultPasswordParameter(builder, $"{name}-password", special: false);
        var server = new MySqlServerResource(name, serverPath, Path.Combine(builder.AppHostDirectory, ".data", name), passwordParameter);

        var healthCheckKey = $"{name}_check";
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(healthCheckKey, _ => new MySqlHealthCheck(server), failureStatus: null, tags: null));

        return builder.AddResource(server)
            // Not proxied: every query would otherwise pass through DCP's proxy process, a noticeable share of
            // the CPU per order under load (see docs/cpu-per-order.md). The server keeps its port across restarts.
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
                // A small redo log keeps a fresh data directory small: the default is sized for a production server.
                context.Args.Add("--innodb-log-file-size=8M");
                context.Args.Add("--max-connections=500");
            })
            .OnBeforeResourceStarted(async (resource, @event, cancellationToken) =>
            {
                if (MariaDb.Find("mariadbd") is null)
                {
                    throw new DistributedApplicationException(
                        "MariaDB is not installed: run 'bash eng/setup.sh' (or 'apt-get install -y mariadb-server mariadb-client').");
                }
                var logger = @event.Services.GetRequiredService<ResourceLoggerService>().GetLogger(resource);
                var reset = resource.TryGetLastAnnotation<ResetDataAnnotation>(out var annotation) && annotation.TryTake();
                await MariaDbDataDirectory.PrepareAsync(resource, reset, logger, cancellationToken).ConfigureAwait(false);
            })
            .WithIconName("DatabaseMultiple")
            .WithHealthCheck(healthCheckKey);
    }

    /// <summary>
    /// Keeps the server's data in a folder of the host between runs.
    /// </summary>
    /// <param name="builder">The builder for the <see cref="MySqlServerResource"/>.</param>
    /// <param name="path">The folder that holds the data directory, the socket and the server's error log.</param>
    /// <param name="reset"><see langword="true"/> to empty the folder at this run's first start of the server.</param>
    /// <returns>A reference to the <see cref="IResourceBuilder{T}"/>.</returns>
    public static IResourceBuilder<MySqlServerResource> WithDataDirectory(this IResourceBuilder<MySqlServerResource> builder, string path, bool reset = false)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(path);

        builder.Resource.Home = Path.GetFullPath(path);
        builder.WithWorkingDirectory(builder.Resource.Home);
        return reset ? builder.WithAnnotation(new ResetDataAnnotation(), ResourceAnnotationMutationBehavior.Replace) : builder;
    }

    /// <summary>
    /// Adds a MySQL database to the application model. The server creates it, and grants the application user every
    /// privilege on it, each time it starts.
    /// </summary>
    /// <param name="builder">The MySQL server resource builder.</param>
    /// <param name="name">The name of the resource. This name will be used as the connection string name when referenced in a dependency.</param>
    /// <param name="databaseName">The name of the database. If not provided, this defaults to the same value as <paramref name="name"/>.</param>
    /// <returns>A reference to the <see cref="IResourceBuilder{T}"/>.</returns>
    /// <remarks>
    /// The database has its own health check, and its state follows its server's: a resource that waits for it waits
    /// until it answers queries.
    /// </remarks>
    public static IResourceBuilder<MySqlDatabaseResource> AddDatabase(
        this IResourceBuilder<MySqlServerResource> builder, [ResourceName] string name, string? databaseName = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(name);

        var database = new MySqlDatabaseResource(name, databaseName ?? name, builder.Resource);
        builder.Resource.AddDatabase(database);

        var healthCheckKey = $"{name}_check";
        builder.ApplicationBuilder.Services.AddHealthChecks().Add(
            new HealthCheckRegistration(healthCheckKey, _ => new MySqlHealthCheck(database), failureStatus: null, tags: null));

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

    /// <summary>
    /// Adds the dashboard command "Reset to schema and sample data": it drops the database, creates it empty and runs
    /// <paramref name="migrations"/> again, which applies the schema and the sample data. The local "start over",
    /// without restarting anything else.
    /// </summary>
    /// <param name="builder">The builder for the <see cref="MySqlDatabaseResource"/>.</param>
    /// <param name="migrations">The one-shot resource that applies the schema and the sample data, then exits.</param>
    /// <returns>A reference to the <see cref="IResourceBuilder{T}"/>.</returns>
    public static IResourceBuilder<MySqlDatabaseResource> WithResetCommand(
        this IResourceBuilder<MySqlDatabaseResource> builder, IResourceBuilder<IResource> migrations)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(migrations);

        var database = builder.Resource;
        return builder.WithCommand(DatabaseReset.CommandName, "Reset to schema and sample data",
            context => DatabaseReset.RunAsync(database, migrations.Resource, context),
            new CommandOptions
            {
                Description = $"Drops the database {database.DatabaseName}, creates it empty and runs {migrations.Resource.Name} again.",
                ConfirmationMessage = $"Drop the database {database.DatabaseName} with everything in it, create it empty and run "
                    + $"{migrations.Resource.Name} to apply the schema and the sample inventory?",
                IconName = "ArrowReset",
                UpdateState = context => context.ResourceSnapshot.HealthStatus == HealthStatus.Healthy
                    ? ResourceCommandState.Enabled
                    : ResourceCommandState.Disabled,
            });
    }

    /// <summary>
    /// Adds dashboard commands that put the server into the states a production database goes through: a failover that
    /// leaves it refusing writes, a host that stops answering. Anyone can watch the pipeline ride them out; the fault
    /// run and the tests use the same commands (their names are in <see cref="MySqlOutageCommands"/>).
    /// </summary>
    /// <param name="builder">The builder for the <see cref="MySqlServerResource"/>.</param>
    /// <returns>A reference to the <see cref="IResourceBuilder{T}"/>.</returns>
    public static IResourceBuilder<MySqlServerResource> WithOutageCommands(this IResourceBuilder<MySqlServerResource> builder)
    {
        ArgumentNullException.ThrowIfNull(builder);

        var server = builder.Resource;
        return builder
            .WithCommand(MySqlOutageCommands.RefuseWrites, "Refuse writes (as after a failover)",
                context => MySqlOutage.RunAdminSqlAsync(server, "SET GLOBAL read_only = ON", "The server refuses writes (read_only = ON)", context),
                MySqlOutage.Options(
                    "The server goes read-only, as a new primary does during a failover: writes fail with error 1290, reads work.",
                    "LockClosed", running: true))
            .WithCommand(MySqlOutageCommands.AcceptWrites, "Accept writes again",
                context => MySqlOutage.RunAdminSqlAsync(server, "SET GLOBAL read_only = OFF", "The server accepts writes again", context),
                MySqlOutage.Options("Ends a read-only period.", "LockOpen", running: true))
            .WithCommand(MySqlOutageCommands.Freeze, "Freeze (SIGSTOP)",
                context => MySqlOutage.SignalAsync(server, "STOP", "The server is frozen: connections hang until it is thawed", context),
                MySqlOutage.Options(
                    "Stops the server's process without ending it, like a hung host: "
                        + "connections are accepted by the kernel and never answered.",
                    "Pause", running: true))
            .WithCommand(MySqlOutageCommands.Thaw, "Thaw (SIGCONT)",
                context => MySqlOutage.SignalAsync(server, "CONT", "The server runs again", context),
                MySqlOutage.Options("Resumes a frozen server.", "Play", running: false));
    }

    private static async Task FollowServerStateAsync(
        MySqlDatabaseResource database, ResourceNotificationService notifications, CancellationToken cancellationToken)
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

    /// <summary>Set by <see cref="WithDataDirectory"/> when the data directory is to be emptied; taken by the first start only.</summary>
    private sealed class ResetDataAnnotation : IResourceAnnotation
    {
        private int _taken;

        public bool TryTake() => Interlocked.Exchange(ref _taken, 1) == 0;
    }
}
