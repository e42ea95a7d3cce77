using ControlPlane.Infrastructure;
using ControlPlane.Infrastructure.Auth;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Features.Notifications;

public sealed partial class NotificationSettings
{
    /// <summary>
    /// Sends a test message over the channel now and says how it went (e-mail goes to <paramref name="testAddress"/>, or
    /// to the actor). The attempt is in the delivery log like any other; a failed one is retried no further.
    /// </summary>
    public async Task<Outcome<DeliveryRow>> SendTestAsync(Actor actor, Guid channelId, string? testAddress, CancellationToken ct = default)
    {
        if (!MayManage(actor)) return Outcome.Fail<DeliveryRow>(Refused);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var channel = await db.Set<NotificationChannel>().AsNoTracking().FirstOrDefaultAsync(c => c.Id == channelId, ct);
        if (channel is null) return Outcome.Fail<DeliveryRow>("That channel no longer exists.");
        if (!channel.Enabled) return Outcome.Fail<DeliveryRow>("The channel is switched off: switch it on to test it.");
        string? recipients = null;
        if (channel.Kind == ChannelKinds.Email)
        {
            recipients = Blank(testAddress) ? actor.Name : testAddress!.Trim();
            if (!AlertAudience.IsAddress(recipients)) return Outcome.Fail<DeliveryRow>($"'{recipients}' is not an e-mail address to send the test to.");
        }
        var now = clock.GetUtcNow().UtcDateTime;
        var alert = new Alert("test", $"Test from ControlPlane: {channel.Name}", $"{actor.Name} sent this test message to check that the channel '{channel.Name}' reaches you.",
            Link: "/notifications", Facts: new Dictionary<string, string> { ["Channel"] = channel.Name, ["Sent by"] = actor.Name });
        var delivery = ChannelAlerts.NewDelivery(channel.Id, alert.Kind, alert.Subject, AlertPayload.From(alert, now).ToJson(), recipients, now, isTest: true);
        delivery.ClaimedUntil = now + DeliveryDispatcher.ClaimFor; // ours: the background worker leaves it alone
        db.Set<NotificationDelivery>().Add(delivery);
        await audit.SaveAsync(db, actor.Name, "notification.channel.tested", $"channel:{channel.Id}", $"{channel.Name}{(recipients is null ? "" : $" to {recipients}")}", ct);
        await dispatcher.SendClaimedAsync(delivery.Id, ct);
        var sent = await db.Set<NotificationDelivery>().AsNoTracking().FirstAsync(d => d.Id == delivery.Id, ct);
        if (sent.Status == DeliveryStatuses.Pending)
        {
            // A test is a question asked now: it is not retried in the background.
            await db.Set<NotificationDelivery>().Where(d => d.Id == delivery.Id).ExecuteUpdateAsync(s => s.SetProperty(d => d.Status, DeliveryStatuses.Failed), ct);
            sent.Status = DeliveryStatuses.Failed;
        }
        var row = ToRow(sent, channel);
        return sent.Status == DeliveryStatuses.Sent ? row : Outcome.Fail<DeliveryRow>($"The test did not go through: {sent.LastError}");
    }

    public async Task<DeliveryPage> DeliveriesAsync(Actor actor, DeliveryQuery query, CancellationToken ct = default)
    {
        if (!MayManage(actor)) return new DeliveryPage([], 0);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = db.Set<NotificationDelivery>().AsNoTracking();
        if (!Blank(query.Status)) rows = rows.Where(d => d.Status == query.Status);
        var total = await rows.CountAsync(ct);
        var page = await rows.OrderByDescending(d => d.CreatedAt).ThenByDescending(d => d.Id).Skip(Math.Max(0, query.Skip)).Take(Math.Clamp(query.Take, 1, 200)).ToListAsync(ct);
        var channelIds = page.Select(d => d.ChannelId).Distinct().ToList();
        var channels = await db.Set<NotificationChannel>().AsNoTracking().Where(c => channelIds.Contains(c.Id)).ToDictionaryAsync(c => c.Id, ct);
        return new DeliveryPage([.. page.Select(d => ToRow(d, channels.GetValueOrDefault(d.ChannelId)))], total);
    }

    /// <summary>Puts a failed (or waiting) delivery back in the queue, due now, for one more attempt.</summary>
    public async Task<Outcome<bool>> RetryAsync(Actor actor, Guid deliveryId, CancellationToken ct = default)
    {
        if (!MayManage(actor)) return Outcome.Fail<bool>(Refused);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var delivery = await db.Set<NotificationDelivery>().FirstOrDefaultAsync(d => d.Id == deliveryId, ct);
        if (delivery is null) return Outcome.Fail<bool>("That delivery is no longer in the log.");
        if (delivery.Status == DeliveryStatuses.Sent) return Outcome.Fail<bool>("That delivery was sent already.");
        delivery.Status = DeliveryStatuses.Pending;
        delivery.NextAttemptAt = clock.GetUtcNow().UtcDateTime;
        delivery.ClaimedUntil = null;
        await audit.SaveAsync(db, actor.Name, "notification.delivery.retried", $"delivery:{delivery.Id}", $"{delivery.AlertKind}: {delivery.Subject} (after {delivery.Attempts} attempts)", ct);
        dispatcher.Nudge();
        return true;
    }

    private static DeliveryRow ToRow(NotificationDelivery d, NotificationChannel? c) =>
        new(d.Id, d.CreatedAt, c?.Name ?? "(deleted)", c?.Kind ?? "", d.AlertKind, d.Subject, d.Status, d.Attempts, d.NextAttemptAt, d.SentAt, d.LastError, d.Recipients, d.IsTest);
}
