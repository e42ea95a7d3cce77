using System.Text.Json;
using ControlPlane.Features.Notifications;
using ControlPlane.Features.Wallets;
using ControlPlane.Infrastructure.Data;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Features.Demo;

/// <summary>
/// The demo's notifications: an e-mail server on this machine (a local mail catcher such as Mailpit listens on
/// 127.0.0.1:1025; with none, a delivery fails on loopback and nothing leaves the machine), a Slack channel (switched
/// off: its URL goes nowhere), who gets what,
/// Search's escalation ladder, and a delivery log with a sent, a retried and a failed row. Nothing is left pending,
/// so the demo never sends anything.
/// </summary>
internal static class DemoNotifications
{
    public static async Task SeedAsync(ControlPlaneDb db, ChannelSecrets secrets, Guid searchTeam, DateTime now, CancellationToken ct)
    {
        var mail = new NotificationChannel
        {
            Id = Guid.CreateVersion7(), Name = "Finance e-mail", Kind = ChannelKinds.Email, CreatedAt = now.AddDays(-20), UpdatedAt = now.AddDays(-20),
            Settings = JsonSerializer.Serialize(new ChannelSettings { SmtpHost = "127.0.0.1", SmtpPort = 1025, SmtpSecurity = SmtpSecurities.None, From = "controlplane@acme.test" }),
        };
        var slackSecret = new ChannelSecret { Url = "https://hooks.slack.com/services/T0DEMO/B0DEMO/not-a-real-hook" };
        var slack = new NotificationChannel
        {
            Id = Guid.CreateVersion7(), Name = "Slack #ai-budgets", Kind = ChannelKinds.Slack, Enabled = false, CreatedAt = now.AddDays(-20), UpdatedAt = now.AddDays(-2),
            Settings = "{}", Secret = secrets.Protect(slackSecret), SecretHint = ChannelSecrets.Hint(slackSecret),
        };
        db.AddRange(mail, slack);
        db.AddRange(
            new NotificationSubscription { Id = Guid.CreateVersion7(), ChannelId = mail.Id, AlertKind = AlertKinds.WalletExhausted, ToFinanceAdmins = true, CreatedAt = now.AddDays(-20) },
            new NotificationSubscription { Id = Guid.CreateVersion7(), ChannelId = mail.Id, AlertKind = AlertKinds.TransferRequested, ToFinanceAdmins = true, CreatedAt = now.AddDays(-20) },
            new NotificationSubscription { Id = Guid.CreateVersion7(), ChannelId = slack.Id, AlertKind = NotificationSubscription.AnyKind, TeamId = searchTeam, CreatedAt = now.AddDays(-19) });
        var searchWallet = await db.Wallets.Where(w => w.OwnerKind == WalletOwners.Team && w.OwnerId == searchTeam).Select(w => w.Id).FirstOrDefaultAsync(ct);
        if (searchWallet != Guid.Empty)
            db.AddRange(
                new WalletEscalationStep { Id = Guid.CreateVersion7(), WalletId = searchWallet, Percent = 80, ChannelId = mail.Id, ToTeamLeads = true },
                new WalletEscalationStep { Id = Guid.CreateVersion7(), WalletId = searchWallet, Percent = 95, ChannelId = mail.Id, ToFinanceAdmins = true },
                new WalletEscalationStep { Id = Guid.CreateVersion7(), WalletId = searchWallet, Percent = 100, ChannelId = mail.Id, Addresses = "cto@acme.test" });

        NotificationDelivery Row(NotificationChannel channel, string kind, string subject, string status, int attempts, int hoursAgo, string? error = null, string? to = null)
        {
            var at = now.AddHours(-hoursAgo);
            var payload = AlertPayload.From(new Alert(kind, subject, subject, Link: "/wallets", TeamId: searchTeam), at).ToJson();
            var row = ChannelAlerts.NewDelivery(channel.Id, kind, subject, payload, to, at, isTest: false);
            row.Status = status;
            row.Attempts = attempts;
            row.LastError = error;
            row.SentAt = status == DeliveryStatuses.Sent ? at.AddMinutes(attempts - 1) : null;
            return row;
        }
        db.AddRange(
            Row(mail, AlertKinds.WalletThreshold, "Budget at 80 %: 'Team Search'", DeliveryStatuses.Sent, 1, 50, to: "sam.search@acme.test"),
            Row(slack, AlertKinds.WalletThreshold, "Budget at 80 %: 'Team Search'", DeliveryStatuses.Sent, 2, 50),
            Row(mail, AlertKinds.WalletThreshold, "Budget at 95 %: 'Team Search'", DeliveryStatuses.Sent, 1, 6, to: "fiona.finance@acme.test"),
            Row(slack, AlertKinds.WalletThreshold, "Budget at 95 %: 'Team Search'", DeliveryStatuses.Failed, 5, 6, "HTTP 404 Not Found: no_service"));
    }
}
