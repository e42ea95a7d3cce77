using ControlPlane.Features.FinOps;
using ControlPlane.Features.Notifications;
using ControlPlane.Features.Wallets;
using ControlPlane.Infrastructure.Data;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Features.Demo;

/// <summary>
/// The demo's FinOps: cost centres on Engineering (its subteams inherit it) and Research, digests routed to the
/// finance e-mail channel (its readers) and the Slack channel (switched off), and a monthly ERP export by e-mail with
/// last month's run already sent, so the job has nothing due and the FinOps page lists a run.
/// </summary>
internal static class DemoFinOps
{
    public static async Task SeedAsync(ControlPlaneDb db, Guid engineering, Guid research, DateTime now, CancellationToken ct)
    {
        await db.Teams.Where(t => t.Id == engineering).ExecuteUpdateAsync(s => s.SetProperty(t => t.CostCentre, "CC-4100"), ct);
        await db.Teams.Where(t => t.Id == research).ExecuteUpdateAsync(s => s.SetProperty(t => t.CostCentre, "CC-5200"), ct);
        var channels = await db.Set<NotificationChannel>().AsNoTracking().ToListAsync(ct);
        foreach (var channel in channels)
            db.Add(new NotificationSubscription { Id = Guid.CreateVersion7(), ChannelId = channel.Id, AlertKind = AlertKinds.Digest, CreatedAt = now.AddDays(-10) });
        if (channels.FirstOrDefault(c => c.Kind == ChannelKinds.Email) is not { } mail) return;
        var schedule = new ChargebackSchedule
        {
            Id = Guid.CreateVersion7(), Name = "Monthly chargeback to accounts payable", Cadence = ExportCadences.Monthly, Day = 1, Layout = ChargebackLayouts.Erp,
            Destination = ExportDestinations.Email, ChannelId = mail.Id, Target = "ap@acme.test", CreatedAt = now.AddDays(-40),
        };
        var period = ExportPeriod.Last(ExportCadences.Monthly, DateOnly.FromDateTime(now));
        db.Add(schedule);
        db.Add(new ChargebackRun
        {
            Id = Guid.CreateVersion7(), ScheduleId = schedule.Id, StartedAt = period.To.AddDays(1).ToDateTime(new TimeOnly(0, 15), DateTimeKind.Utc),
            PeriodFrom = period.From.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc), PeriodTo = period.To.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc),
            Trigger = "schedule", FileName = $"chargeback-erp-{period.From:yyyy-MM-dd}-{period.To:yyyy-MM-dd}.csv", Bytes = 1843,
            Where = "e-mail to ap@acme.test", Ok = true,
        });
    }
}
