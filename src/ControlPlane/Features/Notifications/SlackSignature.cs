using System.Security.Cryptography;
using System.Text;

namespace ControlPlane.Features.Notifications;

/// <summary>
/// Slack's request signature (v0): <c>X-Slack-Signature: v0=hex(HMAC-SHA256(signing secret, "v0:" + timestamp + ":" + body))</c>
/// over the raw body, with <c>X-Slack-Request-Timestamp</c> within five minutes of our clock (no replays).
/// </summary>
public static class SlackSignature
{
    public const string SignatureHeader = "X-Slack-Signature";
    public const string TimestampHeader = "X-Slack-Request-Timestamp";
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(5);

    public static string Sign(string secret, string timestamp, string body) =>
        "v0=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"v0:{timestamp}:{body}")));

    /// <summary>Null when the request is Slack's; otherwise why it is refused.</summary>
    public static string? Check(string? secret, string? timestamp, string? signature, string body, DateTimeOffset now)
    {
        if (string.IsNullOrEmpty(secret)) return "The Slack app is not set up (Notifications:SlackSigningSecret).";
        if (!long.TryParse(timestamp, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var seconds))
            return "Missing or bad X-Slack-Request-Timestamp.";
        if ((now - DateTimeOffset.FromUnixTimeSeconds(seconds)).Duration() > Window) return "Stale X-Slack-Request-Timestamp (more than 5 minutes off).";
        if (signature is null || !CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Sign(secret, timestamp!, body)), Encoding.ASCII.GetBytes(signature)))
            return "Bad X-Slack-Signature.";
        return null;
    }
}
