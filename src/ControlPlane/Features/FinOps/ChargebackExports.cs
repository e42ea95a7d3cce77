using System.Text;
using ControlPlane.Features.Audit;
using ControlPlane.Features.Gateway.Providers;
using ControlPlane.Features.Notifications;
using ControlPlane.Features.Wallets;
using ControlPlane.Infrastructure;
using ControlPlane.Infrastructure.Auth;
using ControlPlane.Infrastructure.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ControlPlane.Features.FinOps;

/// <summary>
/// Scheduled chargeback exports: their settings (finance and the admins; audited), their runs (each stored with where it
/// went and how it ended), "run now", and the due runs the scheduled job starts. A file is made by
/// <see cref="ChargebackExport"/> and sent by e-mail (<see cref="ChannelSender"/>), to a folder under
/// <see cref="FinOpsOptions.ExportRoot"/>, or to a webhook signed like notification webhooks (<see cref="WebhookSignature"/>)
/// whose address passes <see cref="ProviderAddressPolicy"/>.
/// </summary>
public sealed class ChargebackExports(
    IDbContextFactory<ControlPlaneDb> dbFactory, ChargebackExport export, ChannelSender sender, ChannelSecrets secrets, ProviderAddressPolicy addresses,
    IOptions<FinOpsOptions> options, AuditLog audit, TimeProvider clock)
{
    /// <summary>A period whose scheduled run failed this many times waits for "run now".</summary>
    public const int MaxScheduledAttempts = 3;

    public static bool MayManage(Actor actor) => CostCentres.MayEdit(actor);

    public async Task<IReadOnlyList<ScheduleRow>> SchedulesAsync(Actor actor, CancellationToken ct = default)
    {
        if (!MayManage(actor)) return [];
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Set<ChargebackSchedule>().AsNoTracking().OrderBy(s => s.Name)
            .Select(s => new ScheduleRow(s.Id, s.Name, s.Cadence, s.Day, s.Layout, s.Destination, s.Target, s.Enabled)).ToListAsync(ct);
    }

    public async Task<IReadOnlyList<RunRow>> RunsAsync(Actor actor, int take = 50, CancellationToken ct = default)
    {
        if (!MayManage(actor)) return [];
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var names = await db.Set<ChargebackSchedule>().AsNoTracking().ToDictionaryAsync(s => s.Id, s => s.Name, ct);
        var runs = await db.Set<ChargebackRun>().AsNoTracking().OrderByDescending(r => r.StartedAt).Take(Math.Clamp(take, 1, 500)).ToListAsync(ct);
        return [.. runs.Select(r => new RunRow(r.Id, names.GetValueOrDefault(r.ScheduleId, "(removed)"), r.StartedAt, r.PeriodFrom, r.PeriodTo, r.Trigger, r.By,
            r.FileName, r.Bytes, r.Where, r.Ok, r.Error))];
    }

    public async Task<Outcome<ChargebackSchedule>> CreateAsync(Actor actor, ExportForm form, CancellationToken ct = default)
    {
        if (!MayManage(actor)) return Outcome.Fail<ChargebackSchedule>("Only an Owner, Admin or Finance admin can schedule exports.");
        if (form.Problem() is { } problem) return Outcome.Fail<ChargebackSchedule>(problem);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var name = form.Name.Trim();
        if (await db.Set<ChargebackSchedule>().AnyAsync(s => s.Name == name, ct)) return Outcome.Fail<ChargebackSchedule>($"An export named '{name}' exists already.");
        var schedule = new ChargebackSchedule
        {
            Id = Guid.CreateVersion7(), Name = name, Cadence = form.Cadence, Day = form.Day, Layout = form.Layout, Destination = form.Destination,
            Target = "", CreatedAt = clock.GetUtcNow().UtcDateTime,
        };
        switch (form.Destination)
        {
            case ExportDestinations.Email:
                var channel = await db.Set<NotificationChannel>().AsNoTracking().FirstOrDefaultAsync(c => c.Id == form.ChannelId, ct);
                if (channel is not { Kind: ChannelKinds.Email }) return Outcome.Fail<ChargebackSchedule>("Choose an e-mail channel (set one up on the Notifications page).");
                schedule.ChannelId = channel.Id;
                schedule.Target = string.Join(", ", AlertAudience.ParseAddresses(form.Target));
                break;
            case ExportDestinations.Folder:
                if (ExportFolder.Resolve(options.Value.ExportRoot, form.Target).Problem is { } folderProblem) return Outcome.Fail<ChargebackSchedule>(folderProblem);
                schedule.Target = form.Target!.Trim();
                break;
            default:
                var url = new Uri(form.WebhookUrl!);
                if (addresses.CheckUrl(url) is { } refused) return Outcome.Fail<ChargebackSchedule>($"That webhook address is refused: {refused}");
                var secret = new ChannelSecret { Url = url.ToString(), SigningSecret = form.SigningSecret };
                schedule.Secret = secrets.Protect(secret);
                schedule.Target = ChannelSecrets.Hint(secret) ?? url.Host;
                break;
        }
        db.Set<ChargebackSchedule>().Add(schedule);
        await audit.SaveAsync(db, actor.Name, "finops.export.created", $"chargeback-schedule:{schedule.Id}",
            $"{schedule.Name}: {schedule.Cadence} on day {schedule.Day}, {schedule.Layout}, to {schedule.Destination} {schedule.Target}", ct);
        return schedule;
    }

    public async Task<Outcome<bool>> DeleteAsync(Actor actor, Guid scheduleId, CancellationToken ct = default)
    {
        if (!MayManage(actor)) return Outcome.Fail<bool>("Only an Owner, Admin or Finance admin can remove exports.");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var schedule = await db.Set<ChargebackSchedule>().FirstOrDefaultAsync(s => s.Id == scheduleId, ct);
        if (schedule is null) return Outcome.Fail<bool>("That export no longer exists.");
        db.Remove(schedule);
        await audit.SaveAsync(db, actor.Name, "finops.export.removed", $"chargeback-schedule:{schedule.Id}", schedule.Name, ct);
        return true;
    }

    /// <summary>Runs the export now for its last complete period; the run is stored and audited whatever its outcome.</summary>
    public async Task<Outcome<ChargebackRun>> RunNowAsync(Actor actor, Guid scheduleId, CancellationToken ct = default)
    {
        if (!MayManage(actor)) return Outcome.Fail<ChargebackRun>("Only an Owner, Admin or Finance admin can run exports.");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var schedule = await db.Set<ChargebackSchedule>().AsNoTracking().FirstOrDefaultAsync(s => s.Id == scheduleId, ct);
        if (schedule is null) return Outcome.Fail<ChargebackRun>("That export no longer exists.");
        var period = ExportPeriod.Last(schedule.Cadence, DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime));
        var run = await RunAsync(db, schedule, period, "manual", actor.Name, ct);
        await audit.SaveAsync(db, actor.Name, "finops.export.run", $"chargeback-schedule:{schedule.Id}",
            $"{schedule.Name} for {period.From:yyyy-MM-dd}..{period.To:yyyy-MM-dd}: {(run.Ok ? "sent" : "failed: " + run.Error)}", ct);
        return run;
    }

    /// <summary>
    /// Runs every enabled schedule whose run day has come and whose period has no successful run yet (and fewer than
    /// <see cref="MaxScheduledAttempts"/> failed ones); returns the runs. Running it twice sends nothing twice.
    /// </summary>
    public async Task<IReadOnlyList<ChargebackRun>> RunDueAsync(CancellationToken ct = default)
    {
        var today = DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var runs = new List<ChargebackRun>();
        foreach (var schedule in await db.Set<ChargebackSchedule>().AsNoTracking().Where(s => s.Enabled).ToListAsync(ct))
        {
            if (ExportPeriod.Due(schedule.Cadence, schedule.Day, today) is not { } period) continue;
            var from = Day(period.From);
            var earlier = await db.Set<ChargebackRun>().AsNoTracking()
                .Where(r => r.ScheduleId == schedule.Id && r.PeriodFrom == from && r.Trigger == "schedule").Select(r => r.Ok).ToListAsync(ct);
            if (earlier.Any(ok => ok) || earlier.Count >= MaxScheduledAttempts) continue;
            runs.Add(await RunAsync(db, schedule, period, "schedule", null, ct));
        }
        return runs;
    }

    private async Task<ChargebackRun> RunAsync(ControlPlaneDb db, ChargebackSchedule schedule, ExportPeriod period, string trigger, string? by, CancellationToken ct)
    {
        using var file = new MemoryStream();
        await export.WriteCostCentreCsvAsync(file, period.From, period.To, schedule.Layout, ct);
        var bytes = file.ToArray();
        var fileName = $"chargeback-{(schedule.Layout == ChargebackLayouts.Erp ? "erp" : "cost-centres")}-{period.From:yyyy-MM-dd}-{period.To:yyyy-MM-dd}.csv";
        var run = new ChargebackRun
        {
            Id = Guid.CreateVersion7(), ScheduleId = schedule.Id, StartedAt = clock.GetUtcNow().UtcDateTime, PeriodFrom = Day(period.From), PeriodTo = Day(period.To),
            Trigger = trigger, By = by, FileName = fileName, Bytes = bytes.Length, Where = schedule.Target, Ok = true,
        };
        try
        {
            run.Where = await DeliverAsync(db, schedule, run.Id, fileName, bytes, period, ct);
        }
        catch (DeliveryFailedException ex)
        {
            (run.Ok, run.Error) = (false, ex.Message);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            (run.Ok, run.Error) = (false, Trim($"{ex.GetType().Name}: {ex.Message}"));
        }
        db.Set<ChargebackRun>().Add(run);
        await db.SaveChangesAsync(ct);
        return run;
    }

    private async Task<string> DeliverAsync(ControlPlaneDb db, ChargebackSchedule schedule, Guid runId, string fileName, byte[] bytes, ExportPeriod period, CancellationToken ct)
    {
        switch (schedule.Destination)
        {
            case ExportDestinations.Email:
                var channel = await db.Set<NotificationChannel>().AsNoTracking().FirstOrDefaultAsync(c => c.Id == schedule.ChannelId, ct)
                    ?? throw new DeliveryFailedException("The export's e-mail channel was removed.");
                var to = AlertAudience.ParseAddresses(schedule.Target);
                await sender.SendFileAsync(channel, to, $"Chargeback by cost centre, {period.From:yyyy-MM-dd} to {period.To:yyyy-MM-dd}",
                    $"The chargeback per cost centre for {period.From:yyyy-MM-dd} to {period.To:yyyy-MM-dd} (UTC days, both included) is attached ({schedule.Name}).",
                    fileName, bytes, "text/csv", ct);
                return $"e-mail to {string.Join(", ", to)}";
            case ExportDestinations.Folder:
                var (folder, problem) = ExportFolder.Resolve(options.Value.ExportRoot, schedule.Target);
                if (problem is not null) throw new DeliveryFailedException(problem);
                Directory.CreateDirectory(folder!);
                var path = Path.Combine(folder!, fileName);
                await File.WriteAllBytesAsync(path, bytes, ct);
                return $"folder {Path.Combine(schedule.Target, fileName)}";
            default:
                return await PostAsync(schedule, runId, bytes, ct);
        }
    }

    private async Task<string> PostAsync(ChargebackSchedule schedule, Guid runId, byte[] bytes, CancellationToken ct)
    {
        // The alerts' checked client: the address rule holds at connect time (DNS rebinding) and no redirect is followed.
        await sender.PostSignedAsync(secrets.Unprotect(schedule.Secret), Encoding.UTF8.GetString(bytes), "text/csv", runId, ct);
        return $"webhook {schedule.Target}";
    }

    private static DateTime Day(DateOnly day) => day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);

    private static string Trim(string text) => text.Length <= 1000 ? text : text[..1000];
}
