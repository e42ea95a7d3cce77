using ControlPlane.Features.Audit;
using ControlPlane.Features.People;
using ControlPlane.Features.Wallets;
using ControlPlane.Infrastructure;
using ControlPlane.Infrastructure.Auth;
using ControlPlane.Infrastructure.Data;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Features.FinOps;

/// <summary>What the cost-centre field shows: the subject's own code, and the one that applies (own or inherited) with where it comes from.</summary>
public sealed record CostCentreView(string? Own, EffectiveCostCentre? Effective);

/// <summary>Reads and sets the cost centre of teams and wallets. Setting is finance's and the admins' (audited).</summary>
public sealed class CostCentres(IDbContextFactory<ControlPlaneDb> dbFactory, AuditLog audit)
{
    public static bool MayEdit(Actor actor) => actor.Role is Roles.Owner or Roles.Admin or Roles.FinanceAdmin;

    public async Task<CostCentreView> OfTeamAsync(Guid teamId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var teams = await db.Teams.AsNoTracking().ToListAsync(ct);
        var resolved = CostCentreTree.Resolve(teams, await TeamWalletCentresAsync(db, ct));
        return new CostCentreView(teams.FirstOrDefault(t => t.Id == teamId)?.CostCentre, resolved.GetValueOrDefault(teamId));
    }

    public async Task<CostCentreView> OfWalletAsync(Guid walletId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var own = await db.Wallets.AsNoTracking().Where(w => w.Id == walletId).Select(w => w.CostCentre).FirstOrDefaultAsync(ct);
        return new CostCentreView(own, own is null ? null : new EffectiveCostCentre(own, "this wallet"));
    }

    public async Task<Outcome<string?>> SetTeamAsync(Actor actor, Guid teamId, string? code, CancellationToken ct = default)
    {
        if (!MayEdit(actor)) return Outcome.Fail<string?>("Only an Owner, Admin or Finance admin can change a cost centre.");
        if (CostCentreTree.Validate(code) is { } problem) return Outcome.Fail<string?>(problem);
        var clean = CostCentreTree.Normalise(code);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var team = await db.Teams.FirstOrDefaultAsync(t => t.Id == teamId, ct);
        if (team is null) return Outcome.Fail<string?>("That team no longer exists.");
        var before = team.CostCentre;
        team.CostCentre = clean;
        await audit.SaveAsync(db, actor.Name, "team.cost_centre", $"team:{teamId}", Change(team.Name, before, clean), ct);
        return clean;
    }

    public async Task<Outcome<string?>> SetWalletAsync(Actor actor, Guid walletId, string? code, CancellationToken ct = default)
    {
        if (!MayEdit(actor)) return Outcome.Fail<string?>("Only an Owner, Admin or Finance admin can change a cost centre.");
        if (CostCentreTree.Validate(code) is { } problem) return Outcome.Fail<string?>(problem);
        var clean = CostCentreTree.Normalise(code);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var wallet = await db.Wallets.FirstOrDefaultAsync(w => w.Id == walletId, ct);
        if (wallet is null) return Outcome.Fail<string?>("That wallet no longer exists.");
        var before = wallet.CostCentre;
        wallet.CostCentre = clean;
        await audit.SaveAsync(db, actor.Name, "wallet.cost_centre", $"wallet:{walletId}", Change(wallet.Name, before, clean), ct);
        return clean;
    }

    /// <summary>Team id → the cost centre of its team wallet, for the wallets that have one.</summary>
    public static async Task<IReadOnlyDictionary<Guid, string>> TeamWalletCentresAsync(ControlPlaneDb db, CancellationToken ct) =>
        (await db.Wallets.AsNoTracking().Where(w => w.OwnerKind == WalletOwners.Team && w.CostCentre != null)
            .Select(w => new { w.OwnerId, w.CostCentre }).ToListAsync(ct))
        .GroupBy(w => w.OwnerId).ToDictionary(g => g.Key, g => g.First().CostCentre!);

    private static string Change(string name, string? before, string? after) =>
        $"{name}: cost centre {before ?? "none"} → {after ?? "none"}";
}
