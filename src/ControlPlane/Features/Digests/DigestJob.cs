using ControlPlane.Features.Notifications;
using ControlPlane.Features.People;
using ControlPlane.Features.Teams;
using ControlPlane.Infrastructure.Auth;
using ControlPlane.Infrastructure.Data;
using ControlPlane.Infrastructure.Jobs;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ControlPlane.Features.Digests;

/// <summary>
/// Sends the digests that are due, in the organisation's time zone: yesterday's to every reader who chose daily, last week's to those who chose
/// weekly (any day after the week ended, so a missed Monday catches up), and both once to the chat channels. A
/// digest is claimed in <see cref="DigestSend"/> (unique per reader, cadence and period) before it is raised, so a
/// second run, on this node or another, sends nothing again.
/// </summary>
public sealed partial class DigestJob(
    IDbContextFactory<ControlPlaneDb> dbFactory, DigestBuilder builder, IAlerts alerts, TimeProvider clock, IOptions<OrganisationOptions> organisation,
    ILogger<DigestJob> logger) : IScheduledJob
{
    public const string Id = "digests.send";
    public const string Cron = "0 6 * * *";
    public const string ChannelsReader = "channels";

    /// <summary>The chat channels' digest is the organisation's: read as an auditor would (everything, changing nothing).</summary>
    public static readonly Actor ChannelsActor = new(null, "digest:channels", Roles.Auditor);

    public async Task RunAsync(CancellationToken cancellationToken) => await SendDueAsync(cancellationToken);

    /// <summary>Sends what is due; returns how many digests were raised.</summary>
    public async Task<int> SendDueAsync(CancellationToken ct = default)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var readers = await ReadersAsync(ct);
        var sent = 0;
        foreach (var cadence in new[] { DigestCadences.Daily, DigestCadences.Weekly })
        {
            var period = DigestPeriod.Of(cadence, now, organisation.Value.Zone);
            foreach (var reader in readers.Where(r => r.Cadence == cadence))
                if (await SendAsync($"user:{reader.Actor.UserId}", reader.Actor, reader.Email, period, ct)) sent++;
            if (await SendAsync(ChannelsReader, ChannelsActor, null, period, ct)) sent++;
        }
        return sent;
    }

    private async Task<bool> SendAsync(string readerKey, Actor actor, string? email, DigestPeriod period, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (await db.Set<DigestSend>().AnyAsync(s => s.Reader == readerKey && s.Cadence == period.Cadence && s.PeriodStart == period.From, ct)) return false;
        var report = await builder.BuildAsync(actor, period, ct);
        if (!await ClaimAsync(db, readerKey, period, ct)) return false;
        await alerts.RaiseAsync(report.ToAlert(email, $"{period.Cadence}:{period.FirstDay:yyyy-MM-dd}:{readerKey}"), ct);
        LogSent(logger, period.Cadence, period.Label, readerKey);
        return true;
    }

    private async Task<bool> ClaimAsync(ControlPlaneDb db, string readerKey, DigestPeriod period, CancellationToken ct)
    {
        var row = new DigestSend { Id = Guid.CreateVersion7(), Reader = readerKey, Cadence = period.Cadence, PeriodStart = period.From, SentAt = clock.GetUtcNow().UtcDateTime };
        db.Set<DigestSend>().Add(row);
        try
        {
            await db.SaveChangesAsync(ct);
            return true;
        }
        catch (DbUpdateException)
        {
            db.Entry(row).State = EntityState.Detached;
            return false; // another run claimed it a moment ago
        }
    }

    private sealed record Reader(Actor Actor, string Email, string Cadence);

    /// <summary>Active finance admins, and active team leads who lead a team, with their choice (daily unless they chose).</summary>
    private async Task<IReadOnlyList<Reader>> ReadersAsync(CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var leads = await db.TeamMemberships.AsNoTracking().Where(m => m.Role == TeamRoles.Lead).Select(m => m.UserId).Distinct().ToListAsync(ct);
        var people = await db.Users.AsNoTracking()
            .Where(u => u.IsActive && (u.Role == Roles.FinanceAdmin || (u.Role == Roles.TeamLead && leads.Contains(u.Id))))
            .OrderBy(u => u.Email).ToListAsync(ct);
        var choices = await db.Set<DigestPreference>().AsNoTracking().ToDictionaryAsync(p => p.UserId, p => p.Cadence, ct);
        return [.. people.Select(u => new Reader(new Actor(u.Id, u.Email, u.Role), u.Email, choices.GetValueOrDefault(u.Id, DigestCadences.Default)))];
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Sent the {Cadence} digest for {Period} to {Reader}")]
    private static partial void LogSent(ILogger logger, string cadence, string period, string reader);
}
