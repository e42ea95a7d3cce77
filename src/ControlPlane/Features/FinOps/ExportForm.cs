using ControlPlane.Features.Notifications;
using ControlPlane.Features.Wallets;

namespace ControlPlane.Features.FinOps;

/// <summary>A scheduled export as the page edits it. The webhook URL and secret are write-only.</summary>
public sealed class ExportForm
{
    public string Name { get; set; } = "";
    public string Cadence { get; set; } = ExportCadences.Monthly;
    public int Day { get; set; } = 1;
    public string Layout { get; set; } = ChargebackLayouts.CostCentre;
    public string Destination { get; set; } = ExportDestinations.Email;
    /// <summary>E-mail: the addresses (comma-separated); folder: a path under the export root.</summary>
    public string? Target { get; set; }
    public Guid? ChannelId { get; set; }
    public string? WebhookUrl { get; set; }
    public string? SigningSecret { get; set; }

    /// <summary>What is wrong with the fields that need no database, or null.</summary>
    public string? Problem()
    {
        if (string.IsNullOrWhiteSpace(Name) || Name.Trim().Length > 100) return "Name the export (at most 100 characters).";
        if (!ExportCadences.All.Contains(Cadence)) return "Choose monthly or weekly.";
        if (Cadence == ExportCadences.Monthly && Day is < 1 or > 28) return "A monthly export runs on a day from 1 to 28.";
        if (Cadence == ExportCadences.Weekly && Day is < 1 or > 7) return "A weekly export runs on a weekday from 1 (Monday) to 7 (Sunday).";
        if (!ChargebackLayouts.All.Contains(Layout)) return "Choose a layout.";
        return Destination switch
        {
            ExportDestinations.Email when ChannelId is null => "Choose the e-mail channel that sends it.",
            ExportDestinations.Email when AlertAudience.FirstInvalid(Target) is { } bad => $"'{bad}' is not an e-mail address.",
            ExportDestinations.Email when AlertAudience.ParseAddresses(Target).Count == 0 => "Give at least one e-mail address.",
            ExportDestinations.Folder when string.IsNullOrWhiteSpace(Target) => "Give the folder, under the export root.",
            ExportDestinations.Webhook when !Uri.TryCreate(WebhookUrl, UriKind.Absolute, out var url) || url.Scheme is not ("https" or "http") =>
                "Give the webhook's http(s) URL.",
            ExportDestinations.Webhook when SigningSecret is not { Length: >= 16 } => "Give a signing secret of at least 16 characters.",
            ExportDestinations.Email or ExportDestinations.Folder or ExportDestinations.Webhook => null,
            _ => "Choose e-mail, a folder or a webhook.",
        };
    }
}

public sealed record ScheduleRow(Guid Id, string Name, string Cadence, int Day, string Layout, string Destination, string Target, bool Enabled);

public sealed record RunRow(Guid Id, string Schedule, DateTime StartedAt, DateTime PeriodFrom, DateTime PeriodTo, string Trigger, string? By,
    string FileName, int Bytes, string Where, bool Ok, string? Error);
