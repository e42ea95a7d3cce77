using System.ComponentModel.DataAnnotations;

namespace ControlPlane.Features.Notifications;

/// <summary>Notifications settings ("Notifications" section); channels and subscriptions live in the database.</summary>
public sealed class NotificationOptions
{
    public const string Section = "Notifications";

    /// <summary>The same alert kind and dedup key are sent at most once within this window.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "30.00:00:00")]
    public TimeSpan DedupWindow { get; set; } = TimeSpan.FromHours(6);

    /// <summary>Attempts per delivery before it is marked failed (a person can still retry it from the page).</summary>
    [Range(1, 20)]
    public int MaxAttempts { get; set; } = 5;

    /// <summary>The wait before the first retry; each further retry waits twice as long as the one before.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan RetryBackoff { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often each node looks for due deliveries (new ones raised on the node are sent at once).</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:10:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Timeout of one send (SMTP conversation or webhook POST).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:05:00")]
    public TimeSpan SendTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>The dashboard's public address, to make alert links absolute (e.g. https://ai.example.com).</summary>
    [Url]
    public string? PublicBaseUrl { get; set; }

    /// <summary>The Slack app's signing secret (Basic Information → App Credentials); the Slack endpoints refuse every request without it.</summary>
    public string? SlackSigningSecret { get; set; }
}
