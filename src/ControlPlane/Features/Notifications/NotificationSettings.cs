using System.Text.Json;
using ControlPlane.Features.Audit;
using ControlPlane.Features.Gateway.Providers;
using ControlPlane.Features.People;
using ControlPlane.Infrastructure;
using ControlPlane.Infrastructure.Auth;
using ControlPlane.Infrastructure.Data;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Features.Notifications;

/// <summary>
/// Channels, subscriptions, escalation ladders, test sends and the delivery log: Owner, Admin and FinanceAdmin only,
/// every change audited (never with a secret in it).
/// </summary>
public sealed partial class NotificationSettings(
    IDbContextFactory<ControlPlaneDb> dbFactory, ChannelSecrets secrets, DeliveryDispatcher dispatcher, AuditLog audit, TimeProvider clock,
    ProviderAddressPolicy addresses)
{
    public static bool MayManage(Actor actor) => actor.Role is Roles.Owner or Roles.Admin or Roles.FinanceAdmin;
    private const string Refused = "Only an Owner, Admin or FinanceAdmin can change notifications.";

    public async Task<IReadOnlyList<ChannelRow>> ChannelsAsync(Actor actor, CancellationToken ct = default)
    {
        if (!MayManage(actor)) return [];
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var channels = await db.Set<NotificationChannel>().AsNoTracking().OrderBy(c => c.Name).ToListAsync(ct);
        return [.. channels.Select(c => new ChannelRow(c.Id, c.Name, c.Kind, c.Enabled, TargetOf(c), c.SecretHint, c.UpdatedAt))];
    }

    /// <summary>The channel's non-secret settings, to fill the edit dialog (secrets stay blank: write-only).</summary>
    public async Task<ChannelForm?> ChannelFormAsync(Actor actor, Guid id, CancellationToken ct = default)
    {
        if (!MayManage(actor)) return null;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var c = await db.Set<NotificationChannel>().AsNoTracking().FirstOrDefaultAsync(x => x.Id == id, ct);
        if (c is null) return null;
        var s = SettingsOf(c);
        return new ChannelForm
        {
            Name = c.Name, Kind = c.Kind, Enabled = c.Enabled, SmtpHost = s.SmtpHost, SmtpPort = s.SmtpPort, SmtpSecurity = s.SmtpSecurity,
            SmtpUser = s.SmtpUser, From = s.From,
        };
    }

    /// <summary>Creates a channel (<paramref name="id"/> null) or changes one; blank secrets keep the stored ones.</summary>
    public async Task<Outcome<NotificationChannel>> SaveChannelAsync(Actor actor, Guid? id, ChannelForm form, CancellationToken ct = default)
    {
        if (!MayManage(actor)) return Outcome.Fail<NotificationChannel>(Refused);
        form.Name = (form.Name ?? "").Trim();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var channel = id is { } existing ? await db.Set<NotificationChannel>().FirstOrDefaultAsync(c => c.Id == existing, ct) : null;
        if (id is not null && channel is null) return Outcome.Fail<NotificationChannel>("That channel no longer exists.");
        var stored = secrets.Unprotect(channel?.Secret);
        var secret = new ChannelSecret
        {
            Url = Blank(form.Url) ? stored.Url : form.Url!.Trim(),
            Password = Blank(form.Password) ? stored.Password : form.Password,
            SigningSecret = Blank(form.SigningSecret) ? stored.SigningSecret : form.SigningSecret!.Trim(),
        };
        if (channel is not null && channel.Kind != form.Kind) return Outcome.Fail<NotificationChannel>("A channel's kind cannot change; add a new channel instead.");
        if (Validate(form, secret, addresses) is { } problem) return Outcome.Fail<NotificationChannel>(problem);
        if (await db.Set<NotificationChannel>().AnyAsync(c => c.Name == form.Name && c.Id != (id ?? Guid.Empty), ct))
            return Outcome.Fail<NotificationChannel>($"A channel named '{form.Name}' already exists.");

        var now = clock.GetUtcNow().UtcDateTime;
        if (channel is null)
        {
            channel = new NotificationChannel { Id = Guid.CreateVersion7(), Name = form.Name, Kind = form.Kind, Settings = "{}", CreatedAt = now };
            db.Set<NotificationChannel>().Add(channel);
        }
        channel.Name = form.Name;
        channel.Enabled = form.Enabled;
        channel.UpdatedAt = now;
        channel.Settings = form.Kind == ChannelKinds.Email
            ? JsonSerializer.Serialize(new ChannelSettings
            {
                SmtpHost = form.SmtpHost!.Trim(), SmtpPort = form.SmtpPort, SmtpSecurity = form.SmtpSecurity,
                SmtpUser = Blank(form.SmtpUser) ? null : form.SmtpUser!.Trim(), From = form.From!.Trim(),
            })
            : "{}";
        channel.Secret = secrets.Protect(secret);
        channel.SecretHint = ChannelSecrets.Hint(secret);
        var changedSecrets = string.Join(", ", new[] { (form.Url, "URL"), (form.Password, "password"), (form.SigningSecret, "signing secret") }
            .Where(x => !Blank(x.Item1)).Select(x => x.Item2));
        await audit.SaveAsync(db, actor.Name, id is null ? "notification.channel.created" : "notification.channel.changed", $"channel:{channel.Id}",
            $"{channel.Name} ({ChannelKinds.Label(channel.Kind)}, {TargetOf(channel)}){(channel.Enabled ? "" : ", switched off")}"
            + (changedSecrets.Length > 0 ? $"; new {changedSecrets}" : ""), ct);
        return channel;
    }

    public async Task<Outcome<bool>> DeleteChannelAsync(Actor actor, Guid id, CancellationToken ct = default)
    {
        if (!MayManage(actor)) return Outcome.Fail<bool>(Refused);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var channel = await db.Set<NotificationChannel>().FirstOrDefaultAsync(c => c.Id == id, ct);
        if (channel is null) return Outcome.Fail<bool>("That channel no longer exists.");
        db.Remove(channel);
        await audit.SaveAsync(db, actor.Name, "notification.channel.deleted", $"channel:{id}", $"{channel.Name} ({ChannelKinds.Label(channel.Kind)}) with its subscriptions and delivery log", ct);
        return true;
    }

    public async Task<IReadOnlyList<SubscriptionRow>> SubscriptionsAsync(Actor actor, CancellationToken ct = default)
    {
        if (!MayManage(actor)) return [];
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await (from s in db.Set<NotificationSubscription>().AsNoTracking()
                          join c in db.Set<NotificationChannel>().AsNoTracking() on s.ChannelId equals c.Id
                          join t in db.Teams.AsNoTracking() on s.TeamId equals t.Id into teams
                          from t in teams.DefaultIfEmpty()
                          select new SubscriptionRow(s.Id, c.Id, c.Name, s.AlertKind, s.TeamId, t == null ? "Every team" : t.Name, s.ToTeamLeads, s.ToFinanceAdmins, s.Addresses))
                          .ToListAsync(ct);
        return [.. rows.OrderBy(r => r.AlertKind, StringComparer.Ordinal).ThenBy(r => r.Channel, StringComparer.OrdinalIgnoreCase)];
    }

    public async Task<Outcome<NotificationSubscription>> AddSubscriptionAsync(Actor actor, SubscriptionForm form, CancellationToken ct = default)
    {
        if (!MayManage(actor)) return Outcome.Fail<NotificationSubscription>(Refused);
        if (form.AlertKind != NotificationSubscription.AnyKind && !KnownKinds.Contains(form.AlertKind))
            return Outcome.Fail<NotificationSubscription>($"Unknown alert kind '{form.AlertKind}'.");
        if (AlertAudience.FirstInvalid(form.Addresses) is { } bad) return Outcome.Fail<NotificationSubscription>($"'{bad}' is not an e-mail address.");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var channel = await db.Set<NotificationChannel>().AsNoTracking().FirstOrDefaultAsync(c => c.Id == form.ChannelId, ct);
        if (channel is null) return Outcome.Fail<NotificationSubscription>("Choose a channel.");
        string team = "every team";
        if (form.TeamId is { } teamId && (team = await db.Teams.Where(t => t.Id == teamId).Select(t => t.Name).FirstOrDefaultAsync(ct) ?? "") == "")
            return Outcome.Fail<NotificationSubscription>("That team no longer exists.");
        if (channel.Kind == ChannelKinds.Email && !form.ToTeamLeads && !form.ToFinanceAdmins && AlertAudience.ParseAddresses(form.Addresses).Count == 0)
            return Outcome.Fail<NotificationSubscription>("An e-mail subscription needs an audience: team leads, finance admins or listed addresses.");
        var subscription = new NotificationSubscription
        {
            Id = Guid.CreateVersion7(), ChannelId = channel.Id, AlertKind = form.AlertKind, TeamId = form.TeamId, ToTeamLeads = form.ToTeamLeads,
            ToFinanceAdmins = form.ToFinanceAdmins, Addresses = NormalizeAddresses(form.Addresses), CreatedAt = clock.GetUtcNow().UtcDateTime,
        };
        db.Set<NotificationSubscription>().Add(subscription);
        await audit.SaveAsync(db, actor.Name, "notification.subscription.added", $"channel:{channel.Id}",
            $"{KindLabel(form.AlertKind)} about {team} → {channel.Name}{AudienceText(channel.Kind, form.ToTeamLeads, form.ToFinanceAdmins, subscription.Addresses)}", ct);
        return subscription;
    }

    public async Task<Outcome<bool>> RemoveSubscriptionAsync(Actor actor, Guid id, CancellationToken ct = default)
    {
        if (!MayManage(actor)) return Outcome.Fail<bool>(Refused);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var s = await db.Set<NotificationSubscription>().FirstOrDefaultAsync(x => x.Id == id, ct);
        if (s is null) return Outcome.Fail<bool>("That subscription no longer exists.");
        var channel = await db.Set<NotificationChannel>().Where(c => c.Id == s.ChannelId).Select(c => c.Name).FirstAsync(ct);
        db.Remove(s);
        await audit.SaveAsync(db, actor.Name, "notification.subscription.removed", $"channel:{s.ChannelId}", $"{KindLabel(s.AlertKind)} → {channel}", ct);
        return true;
    }

    public static IReadOnlyList<string> KnownKinds { get; } =
    [
        AlertKinds.WalletThreshold, AlertKinds.WalletExhausted, AlertKinds.TransferRequested, AlertKinds.TransferApproved, AlertKinds.TransferRejected,
        AlertKinds.TransferExpired, AlertKinds.ProviderFailing, AlertKinds.Anomaly, AlertKinds.ReconciliationDrift, AlertKinds.JobFailing,
        AlertKinds.AuditChainBroken, AlertKinds.Digest,
    ];

    public static string KindLabel(string kind) => kind == NotificationSubscription.AnyKind ? "every alert" : kind;

    private static string AudienceText(string channelKind, bool leads, bool finance, string? addresses)
    {
        if (channelKind != ChannelKinds.Email) return "";
        var parts = new List<string>();
        if (leads) parts.Add("team leads");
        if (finance) parts.Add("finance admins");
        if (!string.IsNullOrEmpty(addresses)) parts.Add(addresses);
        return parts.Count == 0 ? "" : $" ({string.Join(", ", parts)})";
    }

    internal static string? NormalizeAddresses(string? text)
    {
        var list = AlertAudience.ParseAddresses(text);
        return list.Count == 0 ? null : string.Join(", ", list);
    }

    internal static bool Blank(string? text) => string.IsNullOrWhiteSpace(text);

    private static ChannelSettings SettingsOf(NotificationChannel c) =>
        c.Kind == ChannelKinds.Email ? JsonSerializer.Deserialize<ChannelSettings>(c.Settings) ?? new() : new();

    /// <summary>What the list shows of where a channel sends: the SMTP server and sender, or the webhook's host.</summary>
    private static string TargetOf(NotificationChannel c)
    {
        if (c.Kind != ChannelKinds.Email) return c.SecretHint ?? "no URL";
        var s = SettingsOf(c);
        return $"{s.From} via {s.SmtpHost}:{s.SmtpPort}";
    }

    private static string? Validate(ChannelForm form, ChannelSecret secret, ProviderAddressPolicy addresses)
    {
        if (form.Name.Length is 0 or > 100) return "A channel needs a name of at most 100 characters.";
        if (!ChannelKinds.All.Contains(form.Kind)) return $"A channel is one of {string.Join(", ", ChannelKinds.All)}.";
        if (form.Kind == ChannelKinds.Email)
        {
            if (Blank(form.SmtpHost) || Uri.CheckHostName(form.SmtpHost!.Trim()) == UriHostNameType.Unknown) return "Give the SMTP server's host name.";
            if (form.SmtpPort is < 1 or > 65535) return "The SMTP port is between 1 and 65535 (587 for STARTTLS, 465 for TLS).";
            if (!SmtpSecurities.All.Contains(form.SmtpSecurity)) return $"SMTP security is one of {string.Join(", ", SmtpSecurities.All)}.";
            if (Blank(form.From) || !AlertAudience.IsAddress(form.From!.Trim())) return "Give the sender's e-mail address (From).";
            return null;
        }
        if (secret.Url is null) return "Paste the webhook URL.";
        if (!Uri.TryCreate(secret.Url, UriKind.Absolute, out var url) || url.Scheme is not ("https" or "http") || !string.IsNullOrEmpty(url.UserInfo))
            return "The webhook URL is an http(s) address without a user name.";
        if (url.Scheme == "http" && !url.IsLoopback) return "Use an https:// webhook URL (plain http only to this machine).";
        if (WebhookAddresses.Problem(addresses, url) is { } refused) return refused;
        if (form.Kind == ChannelKinds.Webhook && (secret.SigningSecret is null || secret.SigningSecret.Length < 16))
            return "A webhook needs a signing secret of at least 16 characters (receivers verify X-ControlPlane-Signature with it).";
        return null;
    }
}
