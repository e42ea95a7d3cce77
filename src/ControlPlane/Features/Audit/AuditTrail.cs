using ControlPlane.Infrastructure.Data;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Features.Audit;

/// <summary>Reading the audit chain for the Audit page: whether it holds, and one page of it, newest first.</summary>
public sealed class AuditTrail(IDbContextFactory<ControlPlaneDb> dbFactory)
{
    /// <summary>How many entries there are and the first whose hash does not hold (null: the chain is intact).</summary>
    public async Task<(int Count, long? BrokenAt)> CheckAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var brokenAt = await AuditLog.FindFirstBrokenLinkAsync(db, ct);
        return (await db.AuditEntries.CountAsync(ct), brokenAt);
    }

    /// <summary>Entries newest first, paged in the database (the chain only grows).</summary>
    public async Task<(IReadOnlyList<AuditEntry> Entries, int Total)> PageAsync(int page, int pageSize, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var total = await db.AuditEntries.CountAsync(ct);
        var entries = await db.AuditEntries.AsNoTracking().OrderByDescending(e => e.Sequence)
            .Skip(page * pageSize).Take(pageSize).ToListAsync(ct);
        return (entries, total);
    }
}
