using System.Security.Cryptography;
using System.Text;

namespace ControlPlane.Features.Notifications;

/// <summary>
/// Our webhooks' signature: <c>X-ControlPlane-Signature: v1=hex(HMAC-SHA256(secret, timestamp + "." + body))</c> with
/// <c>X-ControlPlane-Timestamp</c> (Unix seconds); receivers recompute it and refuse old timestamps (replay).
/// </summary>
public static class WebhookSignature
{
    public const string SignatureHeader = "X-ControlPlane-Signature";
    public const string TimestampHeader = "X-ControlPlane-Timestamp";
    public const string DeliveryHeader = "X-ControlPlane-Delivery";

    public static string Sign(string secret, long timestamp, string body) =>
        "v1=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{timestamp}.{body}")));

    public static bool Verify(string secret, long timestamp, string body, string? signature) =>
        signature is not null && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Sign(secret, timestamp, body)), Encoding.ASCII.GetBytes(signature));
}
