using System.Text.Json.Nodes;

namespace ControlPlane.Features.Notifications;

/// <summary>The message bodies each channel kind expects, built from an alert: Slack Block Kit, a Teams Adaptive Card, our webhook JSON.</summary>
public static class ChatMessages
{
    /// <summary>Slack incoming webhook: a header, the body, up to ten fields of facts, and a button to the dashboard (plus approve/reject for a transfer request).</summary>
    public static JsonObject Slack(AlertPayload alert, string? link)
    {
        var blocks = new JsonArray
        {
            new JsonObject { ["type"] = "header", ["text"] = Plain(Trim($"{Icon(alert.Severity)} {alert.Subject}", 150)) },
            new JsonObject { ["type"] = "section", ["text"] = new JsonObject { ["type"] = "mrkdwn", ["text"] = Trim(alert.Body, 3000) } },
        };
        var facts = Facts(alert).Take(10).Select(f => (JsonNode)new JsonObject { ["type"] = "mrkdwn", ["text"] = Trim($"*{f.Key}*\n{f.Value}", 2000) }).ToArray();
        if (facts.Length > 0) blocks.Add(new JsonObject { ["type"] = "section", ["fields"] = new JsonArray(facts) });
        var actions = new JsonArray();
        if (alert.Kind == AlertKinds.TransferRequested && alert.Facts?.TryGetValue(AlertFacts.TransferId, out var transferId) == true)
        {
            actions.Add(new JsonObject { ["type"] = "button", ["action_id"] = SlackActions.Approve, ["style"] = "primary", ["text"] = Plain("Approve"), ["value"] = transferId });
            actions.Add(new JsonObject { ["type"] = "button", ["action_id"] = SlackActions.Reject, ["style"] = "danger", ["text"] = Plain("Reject"), ["value"] = transferId });
        }
        if (link is not null) actions.Add(new JsonObject { ["type"] = "button", ["action_id"] = "open", ["text"] = Plain("Open in ControlPlane"), ["url"] = link });
        if (actions.Count > 0) blocks.Add(new JsonObject { ["type"] = "actions", ["elements"] = actions });
        return new JsonObject { ["text"] = alert.Subject, ["blocks"] = blocks };
    }

    /// <summary>Teams incoming webhook (Workflows or connector): a message with one Adaptive Card attachment.</summary>
    public static JsonObject Teams(AlertPayload alert, string? link)
    {
        var body = new JsonArray
        {
            new JsonObject { ["type"] = "TextBlock", ["text"] = alert.Subject, ["weight"] = "Bolder", ["size"] = "Medium", ["wrap"] = true,
                ["color"] = alert.Severity switch { AlertSeverity.Critical => "Attention", AlertSeverity.Warning => "Warning", _ => "Default" } },
            new JsonObject { ["type"] = "TextBlock", ["text"] = alert.Body, ["wrap"] = true },
        };
        var facts = Facts(alert).Select(f => (JsonNode)new JsonObject { ["title"] = f.Key, ["value"] = f.Value }).ToArray();
        if (facts.Length > 0) body.Add(new JsonObject { ["type"] = "FactSet", ["facts"] = new JsonArray(facts) });
        var card = new JsonObject
        {
            ["$schema"] = "http://adaptivecards.io/schemas/adaptive-card.json",
            ["type"] = "AdaptiveCard",
            ["version"] = "1.4",
            ["body"] = body,
        };
        if (link is not null) card["actions"] = new JsonArray(new JsonObject { ["type"] = "Action.OpenUrl", ["title"] = "Open in ControlPlane", ["url"] = link });
        return new JsonObject
        {
            ["type"] = "message",
            ["attachments"] = new JsonArray(new JsonObject { ["contentType"] = "application/vnd.microsoft.card.adaptive", ["contentUrl"] = null, ["content"] = card }),
        };
    }

    /// <summary>Our generic webhook: the alert as plain JSON with the delivery's id (receivers use it to drop a repeat).</summary>
    public static JsonObject Webhook(Guid deliveryId, AlertPayload alert, string? link) => new()
    {
        ["id"] = deliveryId,
        ["kind"] = alert.Kind,
        ["severity"] = alert.Severity.ToString().ToLowerInvariant(),
        ["subject"] = alert.Subject,
        ["body"] = alert.Body,
        ["team_id"] = alert.TeamId,
        ["wallet_id"] = alert.WalletId,
        ["link"] = link,
        ["facts"] = new JsonObject(Facts(alert).Select(f => KeyValuePair.Create(f.Key, (JsonNode?)f.Value))),
        ["raised_at"] = alert.RaisedAt,
    };

    /// <summary>An e-mail's plain text: the body, the facts one per line, and the link.</summary>
    public static string EmailText(AlertPayload alert, string? link)
    {
        var text = new System.Text.StringBuilder(alert.Body.TrimEnd()).AppendLine().AppendLine();
        foreach (var (key, value) in Facts(alert)) text.Append(key).Append(": ").AppendLine(value);
        if (link is not null) text.AppendLine().AppendLine(link);
        return text.AppendLine().AppendLine($"-- ControlPlane ({alert.Kind})").ToString();
    }

    /// <summary>Facts a person reads; the ids only machines use stay out of chat messages.</summary>
    private static IEnumerable<KeyValuePair<string, string>> Facts(AlertPayload alert) =>
        (alert.Facts ?? new Dictionary<string, string>()).Where(f => f.Key is not AlertFacts.ThresholdPercent and not AlertFacts.TransferId);

    private static JsonObject Plain(string text) => new() { ["type"] = "plain_text", ["text"] = text, ["emoji"] = true };

    private static string Icon(AlertSeverity severity) => severity switch
    {
        AlertSeverity.Critical => ":rotating_light:",
        AlertSeverity.Warning => ":warning:",
        _ => ":information_source:",
    };

    private static string Trim(string text, int max) => text.Length <= max ? text : text[..(max - 1)] + "…";
}

/// <summary>The action ids of the Slack message's buttons (the interactions endpoint dispatches on them).</summary>
public static class SlackActions
{
    public const string Approve = "transfer.approve";
    public const string Reject = "transfer.reject";
}
