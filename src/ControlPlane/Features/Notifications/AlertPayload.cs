using System.Text.Json;

namespace ControlPlane.Features.Notifications;

/// <summary>An alert as a delivery keeps it (JSON in the row), so a retry after a restart sends the same message.</summary>
public sealed record AlertPayload(
    string Kind, string Subject, string Body, AlertSeverity Severity, Guid? TeamId, Guid? WalletId, string? Link,
    IReadOnlyDictionary<string, string>? Facts, DateTime RaisedAt)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static AlertPayload From(Alert alert, DateTime at) =>
        new(alert.Kind, alert.Subject, alert.Body, alert.Severity, alert.TeamId, alert.WalletId, alert.Link, alert.Facts, at);

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static AlertPayload FromJson(string json) => JsonSerializer.Deserialize<AlertPayload>(json, Json)
        ?? throw new InvalidOperationException("An empty delivery payload.");

    /// <summary>The link made absolute with the public base URL (or left relative when none is configured).</summary>
    public string? AbsoluteLink(string? baseUrl) =>
        Link is null ? null
        // "/wallets" is an absolute file: URI on Unix: a leading slash always means a dashboard path.
        : !Link.StartsWith('/') && Uri.TryCreate(Link, UriKind.Absolute, out var absolute) ? absolute.ToString()
        : baseUrl is null ? Link
        : new Uri(new Uri(baseUrl.TrimEnd('/') + "/"), Link.TrimStart('/')).ToString();
}

/// <summary>Names of facts that notifications read back (the rest are shown as they are).</summary>
public static class AlertFacts
{
    /// <summary>A wallet alert's threshold in whole percent ("80"); picks the escalation ladder's steps.</summary>
    public const string ThresholdPercent = "threshold_percent";
    /// <summary>A transfer alert's transfer id: the Slack message's approve and reject buttons carry it.</summary>
    public const string TransferId = "transfer_id";
}
