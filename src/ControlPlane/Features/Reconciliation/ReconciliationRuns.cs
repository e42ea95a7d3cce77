using ControlPlane.Infrastructure.Data;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Features.Reconciliation;

/// <summary>Which days were already fetched from a provider's API (the daily job's idempotence).</summary>
public sealed class ReconciliationRuns(IDbContextFactory<ControlPlaneDb> dbFactory)
{
    public async Task<bool> FetchedAsync(string provider, DateOnly day, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.ReconciliationReports.AsNoTracking().AnyAsync(r => r.Provider == provider && r.Day == day && r.FileName == "api", ct);
    }
}
