using ControlPlane.Infrastructure.Data;
using ControlPlane.Infrastructure.Jobs;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ControlPlane.Features.Wallets;

/// <summary>A wallet as the gateway sees it at the last reload.</summary>
public sealed record WalletInfo(Guid Id, string Name, decimal? Limit, decimal? Ceiling, string Period, DateTime PeriodStart,
    decimal Spent, decimal Leased, string ExhaustionPolicy, string? DowngradeAlias)
{
    public bool Limited => Ceiling is not null;

    /// <summary>When the period ends: the next local midnight boundary in the organisation's time zone (null: no period).</summary>
    public DateTime? PeriodEndsAt { get; init; }

    /// <summary>Whose wallet it is (<see cref="WalletOwners"/>) and that owner's id.</summary>
    public string OwnerKind { get; init; } = "";
    public Guid OwnerId { get; init; }

    /// <summary>
    /// Whether a holder of <paramref name="key"/> may see this wallet's numbers (in 402 bodies and budget headers): the
    /// key's own wallet, its project's and its own team's, which the team's people see on the dashboard anyway; not
    /// the parent teams' or the organisation's, which are named but not measured.
    /// </summary>
    public bool ShownTo(Keys.KeyEntry key) => OwnerKind switch
    {
        WalletOwners.Key => OwnerId == key.Id,
        WalletOwners.Project => OwnerId == key.ProjectId,
        WalletOwners.Team => OwnerId == key.TeamId,
        _ => false,
    };
}

/// <summary>
/// The wallets in memory, and for each key the chain of wallets a call must be covered by: the key's own wallet (if
/// it has one), its project's (if it is filed under one with a wallet), its team's and every ancestor team's that has
/// one, and the organisation's. The chain follows who owns
/// what today (a team's wallet added later, a team moved), not the parent recorded when a wallet was created.
/// Reloaded every few seconds and on changes.
/// </summary>
public sealed class WalletBook(IDbContextFactory<ControlPlaneDb> dbFactory, IOptions<OrganisationOptions> organisation)
{
    private volatile Snapshot _current = new([], [], []);

    private sealed record Snapshot(Dictionary<Guid, WalletInfo> Wallets, Dictionary<Guid, WalletInfo[]> ByTeam, Dictionary<Guid, WalletInfo[]> ByKey)
    {
        public Dictionary<Guid, WalletInfo[]> ByProject { get; init; } = [];
    }

    public WalletInfo? Find(Guid walletId) => _current.Wallets.GetValueOrDefault(walletId);

    /// <summary>Every wallet as of the last reload (the metrics' utilisation gauge reads it).</summary>
    public IEnumerable<WalletInfo> All => _current.Wallets.Values;

    /// <summary>The wallets that must cover a call made with this key, innermost first (empty: no wallets at all).</summary>
    public IReadOnlyList<WalletInfo> ChainFor(Guid keyId, Guid teamId, Guid? projectId = null)
    {
        var s = _current;
        return s.ByKey.TryGetValue(keyId, out var own) ? own
            : projectId is { } p && s.ByProject.TryGetValue(p, out var project) ? project
            : s.ByTeam.TryGetValue(teamId, out var team) ? team : [];
    }

    public async Task ReloadAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var wallets = await db.Wallets.AsNoTracking().ToListAsync(ct);
        var teamParents = await db.Teams.AsNoTracking().Select(t => new { t.Id, t.ParentTeamId }).ToDictionaryAsync(t => t.Id, t => t.ParentTeamId, ct);
        var infos = wallets.ToDictionary(w => w.Id, w => new WalletInfo(w.Id, w.Name, w.Limit, w.Ceiling, w.Period, w.PeriodStart, w.Spent, w.Leased, w.ExhaustionPolicy, w.DowngradeAlias)
        {
            OwnerKind = w.OwnerKind,
            OwnerId = w.OwnerId,
            PeriodEndsAt = WalletPeriods.EndOf(w.Period, w.PeriodStart, organisation.Value.Zone),
        });
        var org = wallets.Where(w => w.OwnerKind == WalletOwners.Organization).Select(w => infos[w.Id]).FirstOrDefault();
        var teamWallets = wallets.Where(w => w.OwnerKind == WalletOwners.Team).ToDictionary(w => w.OwnerId, w => infos[w.Id]);

        var byTeam = new Dictionary<Guid, WalletInfo[]>();
        foreach (var teamId in teamParents.Keys)
        {
            var chain = new List<WalletInfo>();
            for (Guid? team = teamId; team is { } t && chain.Count < 64; team = teamParents.GetValueOrDefault(t))
                if (teamWallets.TryGetValue(t, out var wallet)) chain.Add(wallet);
            if (org is not null) chain.Add(org);
            byTeam[teamId] = [.. chain];
        }
        // A key's own wallet and its project's come before its team's chain.
        var keyWallets = wallets.Where(w => w.OwnerKind == WalletOwners.Key).ToDictionary(w => w.OwnerId, w => infos[w.Id]);
        var projectWallets = wallets.Where(w => w.OwnerKind == WalletOwners.Project).ToDictionary(w => w.OwnerId, w => infos[w.Id]);
        var byKey = new Dictionary<Guid, WalletInfo[]>();
        foreach (var key in await db.ApiKeys.AsNoTracking().Select(k => new { k.Id, k.TeamId, k.ProjectId }).ToListAsync(ct))
        {
            var own = keyWallets.GetValueOrDefault(key.Id);
            var project = key.ProjectId is { } p ? projectWallets.GetValueOrDefault(p) : null;
            if (own is null && project is null) continue;
            byKey[key.Id] = [.. new[] { own, project }.OfType<WalletInfo>(), .. byTeam.GetValueOrDefault(key.TeamId) ?? (org is null ? [] : [org])];
        }
        var projectTeams = await db.Projects.AsNoTracking().Select(p => new { p.Id, p.TeamId }).ToDictionaryAsync(p => p.Id, p => p.TeamId, ct);
        var byProject = projectWallets.Where(w => projectTeams.ContainsKey(w.Key)).ToDictionary(w => w.Key,
            w => (WalletInfo[])[w.Value, .. byTeam.GetValueOrDefault(projectTeams[w.Key]) ?? (org is null ? [] : [org])]);
        _current = new Snapshot(infos, byTeam, byKey) { ByProject = byProject };
    }
}
