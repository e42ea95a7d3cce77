using ControlPlane.Infrastructure.Data;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Features.Audit;

/// <summary>Reading the audit chain for the Audit page: whether it holds, and one page of it, newest first.</summary>
public sealed class AuditTrail(IDbContextFactory<ControlPlaneDb> dbFactory, AuditLog chain)
{
    /// <summary>Whether the chain holds: its keyed hashes and the anchors exported outside the database.</summary>
    public async Task<ChainVerdict> CheckAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await chain.VerifyAsync(db, ct);
    }

    /// <summary>Entries newest first, paged in the database (the chain only grows).</summary>
    public Task<(IReadOnlyList<AuditEntry> Entries, int Total)> PageAsync(int page, int pageSize, CancellationToken ct = default) =>
        PageAsync(new AuditFilter(), page, pageSize, ct);

    /// <summary>The entries the filter lets through, newest first, paged in the database.</summary>
    public async Task<(IReadOnlyList<AuditEntry> Entries, int Total)> PageAsync(AuditFilter filter, int page, int pageSize, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var matching = filter.Apply(db.AuditEntries.AsNoTracking());
        var total = await matching.CountAsync(ct);
        var entries = await matching.OrderByDescending(e => e.Sequence)
            .Skip(page * pageSize).Take(pageSize).ToListAsync(ct);
        return (entries, total);
    }
}
