using ControlPlane.Infrastructure.Data;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Features.Notifications;

/// <summary>Names for the page's pickers (teams, wallets with a limit); the page's policy decides who sees them.</summary>
public sealed class NotificationChoices(IDbContextFactory<ControlPlaneDb> dbFactory)
{
    public async Task<IReadOnlyList<(Guid Id, string Name)>> TeamsAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return [.. (await db.Teams.AsNoTracking().OrderBy(t => t.Name).Select(t => new { t.Id, t.Name }).ToListAsync(ct)).Select(t => (t.Id, t.Name))];
    }

    public async Task<IReadOnlyList<(Guid Id, string Name)>> WalletsAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return [.. (await db.Wallets.AsNoTracking().Where(w => w.Limit != null).OrderBy(w => w.Name).Select(w => new { w.Id, w.Name }).ToListAsync(ct)).Select(w => (w.Id, w.Name))];
    }
}
