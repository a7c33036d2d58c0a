using OrderPipeline.Messaging.Events;
using OrderPipeline.Notifier.Notifications;

namespace OrderPipeline.UnitTests;

[Trait("Category", "Unit")]
public sealed class NotificationIdsTests
{
    private const string OrderId = "01959533-fa87-7c3e-9b1a-2d4c6e8f0a12";

    [Fact]
    public void The_same_order_and_status_always_give_the_same_id() =>
        Assert.Equal(NotificationIds.For(OrderId, OrderStatus.Processed), NotificationIds.For(OrderId, OrderStatus.Processed));

    [Fact]
    public void The_id_is_pinned_so_it_never_changes_between_releases() =>
        // A reader de-duplicating logs across a deployment relies on it: change the namespace or the name and this fails.
        // (The value is SHA-256 of "orderpipeline:notification:v1\n36:<order id>PROCESSED", as RFC 9562 version 8.)
        Assert.Equal("24d1d105-732b-83bb-94f5-c251577ffcd4", NotificationIds.For(OrderId, OrderStatus.Processed));

    [Fact]
    public void Another_order_or_status_gives_another_id()
    {
        var id = NotificationIds.For(OrderId, OrderStatus.Processed);

        Assert.NotEqual(id, NotificationIds.For(OrderId, OrderStatus.Failed));
        Assert.NotEqual(id, NotificationIds.For("01959533-fa87-7c3e-9b1a-2d4c6e8f0a13", OrderStatus.Processed));
    }

    [Fact]
    public void It_is_a_version_8_uuid()
    {
        var id = Guid.Parse(NotificationIds.For(OrderId, OrderStatus.Failed));

        Assert.Equal(8, id.Version);
        Assert.Equal(0b1000, id.Variant & 0b1100);
    }
}
