using ControlPlane.Infrastructure.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ControlPlane.Features.Notifications;

/// <summary>
/// Lets one raise of a kind and key through per window, for the whole cluster: a conditional UPDATE moves the row's
/// time only when the window has passed; the first raise ever inserts it, and the unique index turns a second node's
/// simultaneous insert into "already sent".
/// </summary>
public sealed class AlertDedupGate(IOptions<NotificationOptions> options)
{
    public async Task<bool> ClaimAsync(ControlPlaneDb db, string kind, string key, DateTime now, CancellationToken ct)
    {
        key = key.Length <= 200 ? key : key[..200];
        var cutoff = now - options.Value.DedupWindow;
        var moved = await db.Set<AlertDedup>().Where(d => d.AlertKind == kind && d.DedupKey == key && d.LastRaisedAt <= cutoff)
            .ExecuteUpdateAsync(s => s.SetProperty(d => d.LastRaisedAt, now), ct);
        if (moved == 1) return true;
        if (await db.Set<AlertDedup>().AnyAsync(d => d.AlertKind == kind && d.DedupKey == key, ct)) return false;
        var row = new AlertDedup { Id = Guid.CreateVersion7(), AlertKind = kind, DedupKey = key, LastRaisedAt = now };
        db.Set<AlertDedup>().Add(row);
        try
        {
            await db.SaveChangesAsync(ct);
            return true;
        }
        catch (DbUpdateException)
        {
            db.Entry(row).State = EntityState.Detached;
            return false; // another node inserted it a moment ago
        }
    }
}
