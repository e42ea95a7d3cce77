using ControlPlane.Features.Audit;
using ControlPlane.Features.People;
using ControlPlane.Infrastructure;
using ControlPlane.Infrastructure.Auth;
using ControlPlane.Infrastructure.Data;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Features.Digests;

/// <summary>Each person's own digest choice (daily, weekly or none); only they change it, and the change is audited.</summary>
public sealed class DigestPreferences(IDbContextFactory<ControlPlaneDb> dbFactory, AuditLog audit, TimeProvider clock)
{
    /// <summary>Digests go to the people who answer for spend: team leads (their teams) and finance admins (everything).</summary>
    public static bool Receives(string role) => role is Roles.TeamLead or Roles.FinanceAdmin;

    public async Task<string> CadenceOfAsync(Actor actor, CancellationToken ct = default)
    {
        if (actor.UserId is not { } id || !Receives(actor.Role)) return DigestCadences.None;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Set<DigestPreference>().AsNoTracking().Where(p => p.UserId == id).Select(p => p.Cadence).FirstOrDefaultAsync(ct)
            ?? DigestCadences.Default;
    }

    public async Task<Outcome<string>> ChooseAsync(Actor actor, string cadence, CancellationToken ct = default)
    {
        if (actor.UserId is not { } id) return Outcome.Fail<string>("Only a signed-in person has a digest to choose.");
        if (!Receives(actor.Role)) return Outcome.Fail<string>("Digests go to team leads and finance admins only.");
        if (!DigestCadences.All.Contains(cadence)) return Outcome.Fail<string>($"A digest comes {string.Join(", ", DigestCadences.All)}.");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var row = await db.Set<DigestPreference>().FirstOrDefaultAsync(p => p.UserId == id, ct);
        if (row is null) db.Set<DigestPreference>().Add(row = new DigestPreference { UserId = id, Cadence = cadence });
        row.Cadence = cadence;
        row.UpdatedAt = clock.GetUtcNow().UtcDateTime;
        await audit.SaveAsync(db, actor.Name, "digest.cadence", $"user:{id}", $"{actor.Name}: {DigestCadences.Label(cadence)}", ct);
        return cadence;
    }
}
