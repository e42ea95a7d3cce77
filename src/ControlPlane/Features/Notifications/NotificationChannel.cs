using ControlPlane.Features.People;
using ControlPlane.Features.Teams;
using ControlPlane.Features.Wallets;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace ControlPlane.Features.Notifications;

/// <summary>
/// Where alerts go: an SMTP server, a Slack or Teams incoming webhook, or a generic signed webhook.
/// <see cref="Settings"/> holds what is safe to show (SMTP host, port, sender); <see cref="Secret"/> holds the webhook
/// URL, SMTP password and signing secret, encrypted with Data Protection (<see cref="ChannelSecrets"/>), never shown again.
/// </summary>
public sealed class NotificationChannel
{
    public Guid Id { get; set; }
    public required string Name { get; set; }
    public required string Kind { get; set; }
    /// <summary>JSON of <see cref="ChannelSettings"/>.</summary>
    public required string Settings { get; set; }
    /// <summary>Data Protection ciphertext of <see cref="ChannelSecret"/> JSON; null when the channel has none.</summary>
    public string? Secret { get; set; }
    /// <summary>What the page shows instead of the secret (e.g. "hooks.slack.com/…/abcd").</summary>
    public string? SecretHint { get; set; }
    public bool Enabled { get; set; } = true;
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
}

public static class ChannelKinds
{
    public const string Email = "email";
    public const string Slack = "slack";
    public const string Teams = "teams";
    public const string Webhook = "webhook";

    public static IReadOnlyList<string> All { get; } = [Email, Slack, Teams, Webhook];

    public static string Label(string kind) => kind switch
    {
        Email => "E-mail (SMTP)",
        Slack => "Slack",
        Teams => "Microsoft Teams",
        Webhook => "Webhook",
        _ => kind,
    };
}

/// <summary>What a channel may show: the SMTP server and sender (e-mail only).</summary>
public sealed record ChannelSettings
{
    public string? SmtpHost { get; init; }
    public int SmtpPort { get; init; } = 587;
    /// <summary>none, starttls or tls (TLS from the first byte, port 465).</summary>
    public string SmtpSecurity { get; init; } = SmtpSecurities.StartTls;
    public string? SmtpUser { get; init; }
    public string? From { get; init; }
}

public static class SmtpSecurities
{
    public const string None = "none";
    public const string StartTls = "starttls";
    public const string Tls = "tls";
    public static IReadOnlyList<string> All { get; } = [None, StartTls, Tls];
}

/// <summary>What a channel keeps secret: the webhook URL (Slack, Teams, webhook), the SMTP password, the signing secret (webhook).</summary>
public sealed record ChannelSecret
{
    public string? Url { get; init; }
    public string? Password { get; init; }
    public string? SigningSecret { get; init; }
}

internal sealed class NotificationChannelConfiguration : IEntityTypeConfiguration<NotificationChannel>
{
    public void Configure(EntityTypeBuilder<NotificationChannel> e)
    {
        e.ToTable("notification_channels");
        e.HasKey(x => x.Id);
        e.Property(x => x.Name).HasMaxLength(100);
        e.Property(x => x.Kind).HasMaxLength(16);
        e.Property(x => x.SecretHint).HasMaxLength(100);
        e.HasIndex(x => x.Name).IsUnique();
    }
}

/// <summary>
/// Who gets what: alerts of <see cref="AlertKind"/> ("*" for every kind) about <see cref="TeamId"/>'s wallets and
/// transfers (null: any team, org-wide) go to the channel. For e-mail, the audience is the team's leads, the finance
/// admins and the listed addresses as ticked; a chat or webhook channel is its own audience.
/// </summary>
public sealed class NotificationSubscription
{
    public Guid Id { get; set; }
    public Guid ChannelId { get; set; }
    public required string AlertKind { get; set; }
    public Guid? TeamId { get; set; }
    public bool ToTeamLeads { get; set; }
    public bool ToFinanceAdmins { get; set; }
    /// <summary>Comma-separated e-mail addresses.</summary>
    public string? Addresses { get; set; }
    public DateTime CreatedAt { get; set; }

    public const string AnyKind = "*";
}

internal sealed class NotificationSubscriptionConfiguration : IEntityTypeConfiguration<NotificationSubscription>
{
    public void Configure(EntityTypeBuilder<NotificationSubscription> e)
    {
        e.ToTable("notification_subscriptions");
        e.HasKey(x => x.Id);
        e.Property(x => x.AlertKind).HasMaxLength(40);
        e.Property(x => x.Addresses).HasMaxLength(1000);
        e.HasIndex(x => x.ChannelId);
        e.HasOne<NotificationChannel>().WithMany().HasForeignKey(x => x.ChannelId).OnDelete(DeleteBehavior.Cascade);
        e.HasOne<Team>().WithMany().HasForeignKey(x => x.TeamId).OnDelete(DeleteBehavior.Cascade);
    }
}

/// <summary>
/// One step of a wallet's escalation ladder: once the wallet has spent <see cref="Percent"/> % of its limit this
/// period, its threshold alerts also go to this step's channel and audience (steps add up: 95 % reaches the 80 %
/// step's people too). 100 is the exhaustion step.
/// </summary>
public sealed class WalletEscalationStep
{
    public Guid Id { get; set; }
    public Guid WalletId { get; set; }
    public int Percent { get; set; }
    public Guid ChannelId { get; set; }
    public bool ToTeamLeads { get; set; }
    public bool ToFinanceAdmins { get; set; }
    public string? Addresses { get; set; }
}

internal sealed class WalletEscalationStepConfiguration : IEntityTypeConfiguration<WalletEscalationStep>
{
    public void Configure(EntityTypeBuilder<WalletEscalationStep> e)
    {
        e.ToTable("wallet_escalation_steps");
        e.HasKey(x => x.Id);
        e.Property(x => x.Addresses).HasMaxLength(1000);
        e.HasIndex(x => new { x.WalletId, x.Percent, x.ChannelId }).IsUnique();
        e.HasIndex(x => x.ChannelId);
        e.HasOne<Wallet>().WithMany().HasForeignKey(x => x.WalletId).OnDelete(DeleteBehavior.Cascade);
        e.HasOne<NotificationChannel>().WithMany().HasForeignKey(x => x.ChannelId).OnDelete(DeleteBehavior.Cascade);
    }
}

/// <summary>
/// The last time an alert of a kind and dedup key was let through. One row per (kind, key): a conditional UPDATE (or
/// the unique index on insert) decides, so every node agrees on which raise goes out within the window.
/// </summary>
public sealed class AlertDedup
{
    public Guid Id { get; set; }
    public required string AlertKind { get; set; }
    public required string DedupKey { get; set; }
    public DateTime LastRaisedAt { get; set; }
}

internal sealed class AlertDedupConfiguration : IEntityTypeConfiguration<AlertDedup>
{
    public void Configure(EntityTypeBuilder<AlertDedup> e)
    {
        e.ToTable("alert_dedup");
        e.HasKey(x => x.Id);
        e.Property(x => x.AlertKind).HasMaxLength(40);
        e.Property(x => x.DedupKey).HasMaxLength(200);
        e.HasIndex(x => new { x.AlertKind, x.DedupKey }).IsUnique();
    }
}

/// <summary>A Slack user (in a Slack workspace) acting as a ControlPlane person in the Slack app's commands and buttons.</summary>
public sealed class SlackUserLink
{
    public Guid Id { get; set; }
    public required string SlackTeamId { get; set; }
    public required string SlackUserId { get; set; }
    public Guid UserId { get; set; }
    public DateTime CreatedAt { get; set; }
}

internal sealed class SlackUserLinkConfiguration : IEntityTypeConfiguration<SlackUserLink>
{
    public void Configure(EntityTypeBuilder<SlackUserLink> e)
    {
        e.ToTable("slack_user_links");
        e.HasKey(x => x.Id);
        e.Property(x => x.SlackTeamId).HasMaxLength(32);
        e.Property(x => x.SlackUserId).HasMaxLength(32);
        e.HasIndex(x => new { x.SlackTeamId, x.SlackUserId }).IsUnique();
        e.HasIndex(x => x.UserId);
        e.HasOne<User>().WithMany().HasForeignKey(x => x.UserId).OnDelete(DeleteBehavior.Cascade);
    }
}
