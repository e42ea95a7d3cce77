using ControlPlane.Infrastructure.Data;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Features.Notifications;

/// <summary>
/// Raises alerts through the configured channels: drops a repeat within the dedup window (decided in the database, so
/// every node agrees), picks the channels whose subscriptions (and, for wallet alerts, the wallet's escalation ladder)
/// ask for the alert, resolves each e-mail's audience and enqueues one delivery row per channel. The delivery worker
/// sends them. Never throws into the raiser: a failure here is logged and the alert is lost only from the channels.
/// </summary>
public sealed partial class ChannelAlerts(
    IDbContextFactory<ControlPlaneDb> dbFactory, IServiceScopeFactory scopes, AlertDedupGate dedup, DeliveryDispatcher dispatcher,
    TimeProvider clock, ILogger<ChannelAlerts> logger) : IAlerts
{
    public async Task RaiseAsync(Alert alert, CancellationToken cancellationToken = default)
    {
        try
        {
            var enqueued = await EnqueueAsync(alert, cancellationToken);
            if (enqueued > 0) dispatcher.Nudge();
        }
        catch (Exception ex) // the raiser's work (a charge, an approval) must not fail because a notification could not be queued
        {
            LogRaiseFailed(logger, ex, alert.Kind, alert.Subject);
        }
    }

    /// <summary>Enqueues the alert's deliveries; returns how many (0 for a repeat or when nobody subscribed).</summary>
    public async Task<int> EnqueueAsync(Alert alert, CancellationToken ct)
    {
        LogAlert(logger, alert.Kind, alert.Severity, alert.Subject);
        var now = clock.GetUtcNow().UtcDateTime;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var wanted = await TargetsAsync(db, alert, ct);
        if (wanted.Count == 0) return 0;
        if (alert.DedupKey is { } key && !await dedup.ClaimAsync(db, alert.Kind, key, now, ct))
        {
            LogDuplicate(logger, alert.Kind, key);
            return 0;
        }

        await using var scope = scopes.CreateAsyncScope();
        var audience = scope.ServiceProvider.GetRequiredService<AlertAudience>();
        var channels = await db.Set<NotificationChannel>().AsNoTracking().Where(c => c.Enabled).ToDictionaryAsync(c => c.Id, ct);
        var payload = AlertPayload.From(alert, now).ToJson();
        var count = 0;
        foreach (var (channelId, targets) in wanted)
        {
            if (!channels.TryGetValue(channelId, out var channel)) continue;
            if (!DigestReaches(alert, channel.Kind)) continue;
            string? recipients = null;
            if (channel.Kind == ChannelKinds.Email)
            {
                var addresses = new List<string>(alert.Recipients ?? []);
                foreach (var t in targets.Where(_ => alert.Kind != AlertKinds.Digest)) // a digest's reader is its only recipient
                    addresses.AddRange(await audience.AddressesAsync(db, alert.TeamId, t.ToTeamLeads, t.ToFinanceAdmins, t.Addresses, ct));
                var distinct = addresses.Distinct(StringComparer.OrdinalIgnoreCase).ToList();
                if (distinct.Count == 0)
                {
                    LogNobody(logger, alert.Kind, channel.Name);
                    continue;
                }
                recipients = string.Join(",", distinct);
            }
            db.Set<NotificationDelivery>().Add(NewDelivery(channelId, alert.Kind, alert.Subject, payload, recipients, now, isTest: false));
            count++;
        }
        await db.SaveChangesAsync(ct);
        return count;
    }

    public static NotificationDelivery NewDelivery(Guid channelId, string kind, string subject, string payload, string? recipients, DateTime now, bool isTest) => new()
    {
        Id = Guid.CreateVersion7(), ChannelId = channelId, AlertKind = kind, Subject = subject.Length <= 300 ? subject : subject[..300],
        Payload = payload, Recipients = recipients is { Length: > 2000 } ? recipients[..2000] : recipients, Status = DeliveryStatuses.Pending,
        NextAttemptAt = now, CreatedAt = now, IsTest = isTest,
    };

    /// <summary>
    /// A digest is personal on e-mail and shared in chat: one raised for a reader (with <see cref="Alert.Recipients"/>)
    /// goes to that reader's inbox only, never to a subscription's audience; the org-wide one (without readers) goes to
    /// the chat and webhook channels once. Every other kind reaches every channel that asks for it.
    /// </summary>
    public static bool DigestReaches(Alert alert, string channelKind) =>
        alert.Kind != AlertKinds.Digest || (channelKind == ChannelKinds.Email) == alert.Recipients is { Count: > 0 };

    private sealed record Target(bool ToTeamLeads, bool ToFinanceAdmins, string? Addresses);

    /// <summary>Channel → the subscriptions and ladder steps that ask for this alert.</summary>
    private static async Task<Dictionary<Guid, List<Target>>> TargetsAsync(ControlPlaneDb db, Alert alert, CancellationToken ct)
    {
        var subscriptions = await db.Set<NotificationSubscription>().AsNoTracking()
            .Where(s => (s.AlertKind == alert.Kind || s.AlertKind == NotificationSubscription.AnyKind) && (s.TeamId == null || s.TeamId == alert.TeamId))
            .ToListAsync(ct);
        var wanted = new Dictionary<Guid, List<Target>>();
        void Add(Guid channel, Target target)
        {
            if (!wanted.TryGetValue(channel, out var list)) wanted[channel] = list = [];
            list.Add(target);
        }
        foreach (var s in subscriptions) Add(s.ChannelId, new Target(s.ToTeamLeads, s.ToFinanceAdmins, s.Addresses));
        foreach (var step in await EscalationStepsAsync(db, alert, ct)) Add(step.ChannelId, new Target(step.ToTeamLeads, step.ToFinanceAdmins, step.Addresses));
        return wanted;
    }

    /// <summary>A wallet alert at P % reaches every step of its wallet's ladder at or below P (the ladder adds people as it climbs).</summary>
    private static async Task<IReadOnlyList<WalletEscalationStep>> EscalationStepsAsync(ControlPlaneDb db, Alert alert, CancellationToken ct)
    {
        if (alert.WalletId is not { } walletId || alert.Kind is not (AlertKinds.WalletThreshold or AlertKinds.WalletExhausted)) return [];
        var percent = alert.Kind == AlertKinds.WalletExhausted ? 100
            : alert.Facts?.TryGetValue(AlertFacts.ThresholdPercent, out var text) == true && int.TryParse(text, out var p) ? p : 0;
        return await db.Set<WalletEscalationStep>().AsNoTracking().Where(s => s.WalletId == walletId && s.Percent <= percent).ToListAsync(ct);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Alert {Kind} ({Severity}): {Subject}")]
    private static partial void LogAlert(ILogger logger, string kind, AlertSeverity severity, string subject);

    [LoggerMessage(Level = LogLevel.Information, Message = "Alert {Kind} with key {DedupKey} was already sent within the dedup window")]
    private static partial void LogDuplicate(ILogger logger, string kind, string dedupKey);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Alert {Kind}: the e-mail channel '{Channel}' has nobody to send it to")]
    private static partial void LogNobody(ILogger logger, string kind, string channel);

    [LoggerMessage(Level = LogLevel.Error, Message = "Alert {Kind} could not be enqueued: {Subject}")]
    private static partial void LogRaiseFailed(ILogger logger, Exception exception, string kind, string subject);
}
