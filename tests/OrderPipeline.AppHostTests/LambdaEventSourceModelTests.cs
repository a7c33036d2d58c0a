using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using OrderPipeline.AppHost.Lambda.Schedules;

namespace OrderPipeline.AppHostTests;

/// <summary>What <c>WithSqsEventSource</c> and <c>AddLambdaSchedule</c> put in the app model (nothing is started).</summary>
[Trait("Category", "Unit")]
public sealed class LambdaEventSourceModelTests
{
    [Fact]
    public void An_sqs_event_source_is_a_child_of_its_function_that_waits_for_the_function_and_the_queue()
    {
        var builder = DistributedApplication.CreateBuilder(new DistributedApplicationOptions { DisableDashboard = true });
        var queue = builder.AddSqsEmulator("sqs", emulatorDirectory: Path.GetTempPath()).AddQueue("order-created");
        var function = AddFunction(builder, "processor");

        var returned = function.WithSqsEventSource(queue, new SqsEventSourceOptions
        {
            BatchSize = 5, MaximumBatchingWindow = TimeSpan.FromSeconds(2), ReportBatchItemFailures = true, MaximumConcurrency = 3,
        });

        Assert.Same(function, returned);
        var source = Assert.Single(builder.Resources.OfType<SqsEventSourceResource>());
        Assert.Equal("processor-order-created", source.Name);
        Assert.Same(function.Resource, source.Parent);
        Assert.Same(queue.Resource, source.Queue);
        // Waiting for a queue waits for its emulator too.
        Assert.Equal(["order-created", "processor", "sqs"],
            source.Annotations.OfType<WaitAnnotation>().Select(w => w.Resource.Name).Order(StringComparer.Ordinal));
        Assert.Contains(source.Annotations.OfType<ResourceRelationshipAnnotation>(), r => r.Type == "Parent" && r.Resource == function.Resource);
        var snapshot = Assert.Single(source.Annotations.OfType<ResourceSnapshotAnnotation>()).InitialSnapshot;
        Assert.Equal("SQS event source", snapshot.ResourceType);
        var properties = snapshot.Properties.ToDictionary(p => p.DisplayName ?? p.Name, p => p.Value?.ToString());
        Assert.Equal("5", properties["Batch size"]);
        Assert.Equal("2 s", properties["Batching window"]);
        Assert.Equal("3", properties["Maximum concurrency"]);
        Assert.Equal("yes", properties["Report batch item failures"]);
        Assert.All(["Batches invoked", "Messages deleted", "Messages left for retry", "Failed invocations"], name => Assert.Equal("0", properties[name]));
    }

    [Fact]
    public void An_event_source_without_options_has_Lambdas_defaults_and_no_concurrency_cap_of_its_own()
    {
        var builder = DistributedApplication.CreateBuilder(new DistributedApplicationOptions { DisableDashboard = true });
        var queue = builder.AddSqsEmulator("sqs", emulatorDirectory: Path.GetTempPath()).AddQueue("order-processed");

        AddFunction(builder, "notifier").WithSqsEventSource(queue);

        var source = Assert.Single(builder.Resources.OfType<SqsEventSourceResource>());
        Assert.Equal(new SqsEventSourceOptions(), source.Options);
        var snapshot = Assert.Single(source.Annotations.OfType<ResourceSnapshotAnnotation>()).InitialSnapshot;
        Assert.Equal("unbounded (5 locally)", snapshot.Properties.Single(p => p.DisplayName == "Maximum concurrency").Value);
    }

    [Fact]
    public void A_schedule_is_a_child_of_its_function_that_waits_for_it_and_has_a_run_now_command()
    {
        var builder = DistributedApplication.CreateBuilder(new DistributedApplicationOptions { DisableDashboard = true });
        var function = AddFunction(builder, "processor");

        var schedule = builder.AddLambdaSchedule("outbox-relay", function, TimeSpan.FromMinutes(1), """{"orderpipeline":"relay-outbox"}""");

        Assert.Same(function.Resource, schedule.Resource.Parent);
        Assert.Equal(TimeSpan.FromMinutes(1), schedule.Resource.Rate);
        Assert.Equal("processor", Assert.Single(schedule.Resource.Annotations.OfType<WaitAnnotation>()).Resource.Name);
        Assert.Contains(schedule.Resource.Annotations.OfType<ResourceRelationshipAnnotation>(), r => r.Type == "Parent" && r.Resource == function.Resource);
        var command = Assert.Single(schedule.Resource.Annotations.OfType<ResourceCommandAnnotation>());
        Assert.Equal((LambdaScheduleResource.RunNowCommandName, "Run now"), (command.Name, command.DisplayName));
        var snapshot = Assert.Single(schedule.Resource.Annotations.OfType<ResourceSnapshotAnnotation>()).InitialSnapshot;
        Assert.Equal("Schedule", snapshot.ResourceType);
        var properties = snapshot.Properties.ToDictionary(p => p.DisplayName ?? p.Name, p => p.Value?.ToString());
        Assert.Equal(("rate(1 minute)", "none", "none", "0", "0"),
            (properties["Rate"], properties["Last run"], properties["Last outcome"], properties["Runs"], properties["Failures"]));
    }

    [Fact]
    public void A_schedule_refuses_an_input_that_is_not_json_and_a_rate_that_is_not_positive()
    {
        var builder = DistributedApplication.CreateBuilder(new DistributedApplicationOptions { DisableDashboard = true });
        var function = AddFunction(builder, "processor");

        Assert.Throws<ArgumentException>(() => builder.AddLambdaSchedule("bad-input", function, TimeSpan.FromMinutes(1), "relay-outbox"));
        Assert.Throws<ArgumentOutOfRangeException>(() => builder.AddLambdaSchedule("bad-rate", function, TimeSpan.Zero, "{}"));
        Assert.Empty(builder.Resources.OfType<LambdaScheduleResource>());
    }

    [Theory]
    [InlineData(60, "rate(1 minute)")]
    [InlineData(300, "rate(5 minutes)")]
    [InlineData(3600, "rate(1 hour)")]
    [InlineData(172800, "rate(2 days)")]
    [InlineData(90, "rate(90 seconds)")]
    [InlineData(1, "rate(1 second)")]
    [InlineData(0.25, "rate(250 milliseconds)")]
    public void A_rate_is_shown_as_EventBridge_writes_it(double seconds, string shown) =>
        Assert.Equal(shown, LambdaScheduleHost.FormatRate(TimeSpan.FromSeconds(seconds)));

    private static IResourceBuilder<LambdaFunctionResource> AddFunction(IDistributedApplicationBuilder builder, string name) =>
        builder.AddResource(new LambdaFunctionResource(name, "/bin/true", Path.GetTempPath(), new LambdaFunctionOptions()));
}
