namespace ControlPlane.Features.Notifications;

/// <summary>A channel as the page edits it. Secrets are write-only: blank keeps the stored one.</summary>
public sealed class ChannelForm
{
    public string Name { get; set; } = "";
    public string Kind { get; set; } = ChannelKinds.Slack;
    public bool Enabled { get; set; } = true;
    public string? SmtpHost { get; set; }
    public int SmtpPort { get; set; } = 587;
    public string SmtpSecurity { get; set; } = SmtpSecurities.StartTls;
    public string? SmtpUser { get; set; }
    public string? From { get; set; }
    /// <summary>Webhook URL (Slack, Teams, webhook); blank keeps the stored one.</summary>
    public string? Url { get; set; }
    /// <summary>SMTP password; blank keeps the stored one.</summary>
    public string? Password { get; set; }
    /// <summary>The webhook's signing secret; blank keeps the stored one.</summary>
    public string? SigningSecret { get; set; }
}

/// <summary>Who gets what, as the page edits it.</summary>
public sealed class SubscriptionForm
{
    public Guid ChannelId { get; set; }
    public string AlertKind { get; set; } = NotificationSubscription.AnyKind;
    public Guid? TeamId { get; set; }
    public bool ToTeamLeads { get; set; }
    public bool ToFinanceAdmins { get; set; }
    public string? Addresses { get; set; }
}

/// <summary>One step of a wallet's escalation ladder, as the page edits it.</summary>
public sealed class EscalationStepForm
{
    public Guid WalletId { get; set; }
    public int Percent { get; set; } = 80;
    public Guid ChannelId { get; set; }
    public bool ToTeamLeads { get; set; }
    public bool ToFinanceAdmins { get; set; }
    public string? Addresses { get; set; }
}

public sealed record ChannelRow(Guid Id, string Name, string Kind, bool Enabled, string Target, string? SecretHint, DateTime UpdatedAt);

public sealed record SubscriptionRow(Guid Id, Guid ChannelId, string Channel, string AlertKind, Guid? TeamId, string Team, bool ToTeamLeads, bool ToFinanceAdmins, string? Addresses);

public sealed record EscalationStepRow(Guid Id, Guid WalletId, string Wallet, int Percent, Guid ChannelId, string Channel, bool ToTeamLeads, bool ToFinanceAdmins, string? Addresses);

public sealed record DeliveryRow(Guid Id, DateTime CreatedAt, string Channel, string ChannelKind, string AlertKind, string Subject, string Status,
    int Attempts, DateTime NextAttemptAt, DateTime? SentAt, string? LastError, string? Recipients, bool IsTest);

/// <summary>A page of the delivery log: newest first, optionally only one status.</summary>
public sealed record DeliveryQuery(string? Status = null, int Skip = 0, int Take = 25);

public sealed record DeliveryPage(IReadOnlyList<DeliveryRow> Rows, int Total);
