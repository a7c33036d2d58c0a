using Amazon.SQS.Model;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using OrderPipeline.AppHost.Lambda;
using OrderPipeline.Testing;
using OrderPipeline.Tests.Shared;

namespace OrderPipeline.FunctionalTests.EndToEnd;

/// <summary>
/// An SQS event source and a schedule as the AppHost runs them, added to its model (without the services) with a
/// stand-in function (its state published by the test, a fake behind its invoker): they wait for the function, then
/// poll and tick, show their counts in their resources' properties, the schedule runs on "Run now", and both finish
/// when the AppHost stops.
/// </summary>
public sealed class LambdaEventSourceHostingTests
{
    private const string Input = """{"orderpipeline":"relay-outbox"}""";

    [Fact]
    public async Task An_event_source_and_a_schedule_start_with_their_function_and_show_what_they_did()
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromMinutes(4));
        var cancellation = timeout.Token;
        IResourceBuilder<LambdaFunctionResource>? function = null;
        // The AppHost's model without the services, plus a queue, a stand-in function, its event source and a schedule.
        await using var system = await PipelineSystem.StartAsync(new PipelineSystemOptions
        {
            Services = false,
            Configure = builder =>
            {
                var queue = builder.CreateResourceBuilder(builder.Resources.OfType<SqsEmulatorResource>().Single()).AddQueue("jobs");
                function = builder.AddResource(new LambdaFunctionResource("worker", "/bin/true", Path.GetTempPath(), new LambdaFunctionOptions()))
                    .WithInitialState(new CustomResourceSnapshot
                    {
                        ResourceType = "Lambda function", State = KnownResourceStates.NotStarted, Properties = [],
                    });
                function.WithSqsEventSource(queue, new SqsEventSourceOptions { BatchSize = 5, ReportBatchItemFailures = true });
                builder.AddLambdaSchedule("tick", function, TimeSpan.FromSeconds(1), Input);
            },
        }, cancellation);
        var app = system.App;
        var notifications = app.ResourceNotifications;

        // The queue is there, the function is not running: the event source and the schedule wait for it.
        await notifications.WaitForResourceHealthyAsync("jobs", cancellation);
        await notifications.WaitForResourceAsync("worker-jobs", KnownResourceStates.Waiting, cancellation);
        await notifications.WaitForResourceAsync("tick", KnownResourceStates.Waiting, cancellation);

        var worker = new FakeLambdaInvoker { FunctionName = "worker" };
        app.Services.GetRequiredService<LambdaFunctions>().Add(worker);
        await notifications.PublishUpdateAsync(function!.Resource, s => s with { State = KnownResourceStates.Running });
        await notifications.WaitForResourceAsync("worker-jobs", KnownResourceStates.Running, cancellation);

        using var sqs = system.CreateSqsClient();
        var queueUrl = (await sqs.GetQueueUrlAsync("jobs", cancellation)).QueueUrl;
        for (var i = 1; i <= 7; i++)
        {
            await sqs.SendMessageAsync(new SendMessageRequest(queueUrl, $"job {i}"), cancellation);
        }
        var source = await notifications.WaitForResourceAsync("worker-jobs", e => Property(e, "eventSource.deleted") == "7", cancellation);
        Assert.Equal("0", Property(source, "eventSource.failedInvocations"));
        Assert.Equal("arn:aws:sqs:us-east-1:000000000000:jobs", Property(source, "eventSource.arn"));
        var batches = worker.Invocations.Where(i => i.Records.Count > 0).ToList();
        Assert.All(batches, b => Assert.InRange(b.Records.Count, 1, 5));
        Assert.Equal(7, batches.Sum(b => b.Records.Count));

        // The schedule ticks every second, and "Run now" runs it once more.
        var tick = await notifications.WaitForResourceAsync("tick",
            e => e.Snapshot.State?.Text == KnownResourceStates.Running && Property(e, "schedule.runs") is "1" or "2" or "3", cancellation);
        Assert.Equal("rate(1 second)", Property(tick, "schedule.rate"));
        var runsBefore = worker.Invocations.Count(i => i.Json == Input);
        var result = await app.Services.GetRequiredService<ResourceCommandService>()
            .ExecuteCommandAsync(system.Resource("tick"), LambdaScheduleResource.RunNowCommandName, cancellation);
        // A tick's run takes microseconds against the fake: "Run now" does not meet one under way.
        Assert.True(result.Success, result.Message);
        Assert.Equal("worker ran: Succeeded (200).", result.Message);
        Assert.True(worker.Invocations.Count(i => i.Json == Input) > runsBefore);
        Assert.All(worker.Invocations, i => Assert.Equal("/events", i.Path));
        await notifications.WaitForResourceAsync("tick", e => Property(e, "schedule.lastOutcome") == "Succeeded (200)", cancellation);

        await app.StopAsync(cancellation);
        Assert.True(notifications.TryGetCurrentState("worker-jobs", out var stopped), "no state for worker-jobs");
        Assert.Equal(KnownResourceStates.Finished, stopped.Snapshot.State?.Text);
    }

    private static string? Property(ResourceEvent resourceEvent, string name) =>
        resourceEvent.Snapshot.Properties.FirstOrDefault(p => p.Name == name)?.Value?.ToString();
}
