using ControlPlane.Infrastructure.Data;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Features.Wallets;

/// <summary>A wallet as the gateway sees it at the last reload.</summary>
public sealed record WalletInfo(Guid Id, string Name, decimal? Limit, decimal? Ceiling, string Period, DateTime PeriodStart,
    decimal Spent, decimal Leased, string ExhaustionPolicy, string? DowngradeAlias)
{
    public bool Limited => Ceiling is not null;
    public DateTime? PeriodEndsAt => WalletPeriods.EndOf(Period, PeriodStart);
}

/// <summary>
/// The wallets in memory, and for each key the chain of wallets a call must be covered by: the key's own wallet (if
/// it has one), its team's, every parent team's, and the organisation's. Reloaded every few seconds and on changes.
/// </summary>
public sealed class WalletBook(IDbContextFactory<ControlPlaneDb> dbFactory)
{
    private volatile Snapshot _current = new([], [], []);

    private sealed record Snapshot(Dictionary<Guid, WalletInfo> Wallets, Dictionary<(string Kind, Guid Owner), Guid> ByOwner, Dictionary<Guid, WalletInfo[]> ChainFrom);

    public WalletInfo? Find(Guid walletId) => _current.Wallets.GetValueOrDefault(walletId);

    /// <summary>The wallets that must cover a call made with this key, innermost first (empty: no wallets at all).</summary>
    public IReadOnlyList<WalletInfo> ChainFor(Guid keyId, Guid teamId)
    {
        var s = _current;
        if (s.ByOwner.TryGetValue((WalletOwners.Key, keyId), out var own) && s.ChainFrom.TryGetValue(own, out var keyChain)) return keyChain;
        if (s.ByOwner.TryGetValue((WalletOwners.Team, teamId), out var team) && s.ChainFrom.TryGetValue(team, out var teamChain)) return teamChain;
        return [];
    }

    public async Task ReloadAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var wallets = await db.Wallets.AsNoTracking().ToListAsync(ct);
        var teamParents = await db.Teams.AsNoTracking().Select(t => new { t.Id, t.ParentTeamId }).ToDictionaryAsync(t => t.Id, t => t.ParentTeamId, ct);
        var infos = wallets.ToDictionary(w => w.Id, w => new WalletInfo(w.Id, w.Name, w.Limit, w.Ceiling, w.Period, w.PeriodStart, w.Spent, w.Leased, w.ExhaustionPolicy, w.DowngradeAlias));
        var parents = wallets.ToDictionary(w => w.Id, w => w.ParentWalletId);
        var chains = new Dictionary<Guid, WalletInfo[]>();
        foreach (var wallet in wallets)
        {
            var chain = new List<WalletInfo>();
            for (Guid? id = wallet.Id; id is { } current && chain.Count < 32; id = parents.GetValueOrDefault(current))
                chain.Add(infos[current]);
            chains[wallet.Id] = [.. chain];
        }
        var byOwner = wallets.ToDictionary(w => (w.OwnerKind, w.OwnerId), w => w.Id);
        // A team without a wallet of its own spends from its nearest ancestor's (or the organisation's).
        var org = wallets.FirstOrDefault(w => w.OwnerKind == WalletOwners.Organization);
        foreach (var (teamId, _) in teamParents)
        {
            if (byOwner.ContainsKey((WalletOwners.Team, teamId))) continue;
            for (var ancestor = teamParents.GetValueOrDefault(teamId); ancestor is { } a; ancestor = teamParents.GetValueOrDefault(a))
            {
                if (byOwner.TryGetValue((WalletOwners.Team, a), out var found))
                {
                    byOwner[(WalletOwners.Team, teamId)] = found;
                    break;
                }
            }
            if (!byOwner.ContainsKey((WalletOwners.Team, teamId)) && org is not null) byOwner[(WalletOwners.Team, teamId)] = org.Id;
        }
        _current = new Snapshot(infos, byOwner, chains);
    }
}
