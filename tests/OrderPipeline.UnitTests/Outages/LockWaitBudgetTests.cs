using Microsoft.Extensions.Options;
using OrderPipeline.Processor.Orders;
using OrderPipeline.Tests.Shared;

namespace OrderPipeline.UnitTests.Outages;

/// <summary>An order transaction's lock waits, over all its attempts, fit in the visibility timeout.</summary>
[Trait("Category", "Unit")]
public sealed class LockWaitBudgetTests
{
    private static readonly IReadOnlyDictionary<string, string> Settings = new Dictionary<string, string>
    {
        ["ConnectionStrings:orders"] = "Server=127.0.0.1;Port=1;User ID=x;Password=y;Database=orders",
        ["AWS:ServiceURL"] = "http://127.0.0.1:1",
        ["AWS:Region"] = "us-east-1",
        ["Messaging:Consumer:Enabled"] = "false",
    };

    public LockWaitBudgetTests()
    {
        // The services build their SQS client at start; nothing is sent. The same pair the infrastructure fixture sets.
        Environment.SetEnvironmentVariable("AWS_ACCESS_KEY_ID", "test");
        Environment.SetEnvironmentVariable("AWS_SECRET_ACCESS_KEY", "test");
    }

    [Fact]
    public void The_default_lock_wait_times_the_attempts_fits_in_the_default_visibility_timeout()
    {
        var defaults = new OrderTransactionOptions();
        Assert.True(defaults.WorstCaseLockWaits < TimeSpan.FromSeconds(30), $"{defaults.WorstCaseLockWaits} does not fit in 30 s");
        Assert.Equal(TimeSpan.FromSeconds(3 * OrderTransaction.MaxAttempts) + OrderTransaction.MaxTotalBackoff, defaults.WorstCaseLockWaits);
    }

    [Fact]
    public void The_processor_refuses_to_start_when_its_lock_waits_outlast_the_visibility_timeout()
    {
        using var processor = new ServiceFactory<OrderCreatedHandler>(Settings.With(
            ("Orders:Transaction:LockWaitTimeoutSeconds", "10"), ("Messaging:Consumer:VisibilityTimeoutSeconds", "30")));

        var refused = Assert.Throws<OptionsValidationException>(() => processor.Server);
        Assert.Contains("LockWaitTimeoutSeconds", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_processor_starts_when_they_fit()
    {
        using var processor = new ServiceFactory<OrderCreatedHandler>(Settings.With(
            ("Orders:Transaction:LockWaitTimeoutSeconds", "5"), ("Messaging:Consumer:VisibilityTimeoutSeconds", "30")));
        Assert.NotNull(processor.Server);
    }
}
