using System.Security.Cryptography;
using System.Text;
using OrderPipeline.Messaging.Events;

namespace OrderPipeline.Notifier.Notifications;

/// <summary>
/// The id each notification line carries. Derived from the order and its final status, never drawn at random, so a
/// line repeated after a redelivery (the Notifier promises at least once) carries the same id, and a reader of the
/// logs drops the repeat by it.
/// </summary>
public static class NotificationIds
{
    // Fixed namespace so ids never change between releases.
    private static readonly byte[] Namespace = Encoding.ASCII.GetBytes("orderpipeline:notification:v1\n");

    /// <summary>A name-based UUID (RFC 9562 version 8, SHA-256) of the order id and its status.</summary>
    public static string For(string orderId, OrderStatus status)
    {
        var name = Encoding.UTF8.GetBytes($"{orderId.Length}:{orderId}{StatusName(status)}");
        var hash = SHA256.HashData([.. Namespace, .. name]);
        var bytes = hash.AsSpan(0, 16).ToArray();
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x80); // version 8
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80); // RFC 9562 variant
        return new Guid(bytes, bigEndian: true).ToString();
    }

    public static string StatusName(OrderStatus status) => status switch
    {
        OrderStatus.Processed => "PROCESSED",
        OrderStatus.Failed => "FAILED",
        _ => "PENDING",
    };
}
