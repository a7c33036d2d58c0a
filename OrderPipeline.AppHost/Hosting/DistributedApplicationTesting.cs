using System.Reflection;

namespace OrderPipeline.AppHost.Hosting;

/// <summary>
/// Starts an AppHost's own Program in-process for tests, the way Aspire.Hosting.Testing does: the Program
/// declares its model as usual; when it calls RunAsync, the app is started and handed to the test, and it
/// stops when the test disposes it.
/// </summary>
public static class DistributedApplicationTesting
{
    private static readonly AsyncLocal<Session?> CurrentSession = new();

    internal static Session? Current => CurrentSession.Value;

    internal static AppHostOptions? CurrentOptions => CurrentSession.Value?.Options;

    /// <param name="entryPointAssembly">The AppHost assembly whose Main declares the model.</param>
    public static async Task<TestingApplication> StartAsync(Assembly entryPointAssembly, AppHostOptions options, CancellationToken cancellationToken = default)
    {
        var session = new Session(options);
        var entryPoint = entryPointAssembly.EntryPoint ?? throw new ArgumentException("The assembly has no entry point.", nameof(entryPointAssembly));
        Task main;
        CurrentSession.Value = session;
        try
        {
            main = Task.Run(() =>
            {
                var result = entryPoint.Invoke(null, entryPoint.GetParameters().Length == 0 ? null : [Array.Empty<string>()]);
                return result as Task ?? Task.CompletedTask;
            }, cancellationToken);
        }
        finally
        {
            CurrentSession.Value = null;
        }

        var first = await Task.WhenAny(session.Started, main).ConfigureAwait(false);
        if (first == main)
        {
            await main.ConfigureAwait(false); // Rethrows what stopped Main.
            throw new InvalidOperationException("The AppHost returned without calling RunAsync.");
        }
        return new TestingApplication(await session.Started.ConfigureAwait(false), session, main);
    }

    internal sealed class Session(AppHostOptions options)
    {
        private readonly TaskCompletionSource<DistributedApplication> _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _stop = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public AppHostOptions Options { get; } = options;

        public Task<DistributedApplication> Started => _started.Task;

        public void RequestStop() => _stop.TrySetResult();

        public async Task RunAsync(DistributedApplication app)
        {
            try
            {
                await app.StartAsync().ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                _started.TrySetException(ex);
                return;
            }
            _started.TrySetResult(app);
            await _stop.Task.ConfigureAwait(false);
            await app.StopAsync().ConfigureAwait(false);
        }
    }
}

/// <summary>A started AppHost under test; disposing it stops every resource.</summary>
public sealed class TestingApplication : IAsyncDisposable
{
    private readonly DistributedApplicationTesting.Session _session;
    private readonly Task _main;

    internal TestingApplication(DistributedApplication app, DistributedApplicationTesting.Session session, Task main)
    {
        App = app;
        _session = session;
        _main = main;
    }

    public DistributedApplication App { get; }

    public HttpClient CreateHttpClient(string resourceName) => App.CreateHttpClient(resourceName);

    public string GetConnectionString(string resourceName) => App.GetConnectionString(resourceName);

    public async ValueTask DisposeAsync()
    {
        _session.RequestStop();
        await _main.ConfigureAwait(false);
    }
}
