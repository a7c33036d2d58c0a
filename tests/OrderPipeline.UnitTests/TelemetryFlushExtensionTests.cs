using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using OrderPipeline.Aws.Lambda;

namespace OrderPipeline.UnitTests;

[Trait("Category", "Unit")]
public sealed class TelemetryFlushExtensionTests
{
    private sealed class NoTelemetry : ITelemetryFlush
    {
        public void Flush(TimeSpan timeout)
        {
        }
    }

    [Fact]
    public async Task A_host_disposed_before_it_is_stopped_stops_the_extension_without_an_error()
    {
        using var invocations = new LambdaInvocations();
        var extension = new TelemetryFlushExtension(new ConfigurationBuilder().Build(), invocations, new NoTelemetry(),
            NullLogger<TelemetryFlushExtension>.Instance);
        await extension.StartAsync(TestContext.Current.CancellationToken);

        extension.Dispose();

        await extension.StopAsync(TestContext.Current.CancellationToken);
    }
}
