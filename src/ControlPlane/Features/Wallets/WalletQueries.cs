using ControlPlane.Features.Teams;
using ControlPlane.Infrastructure.Auth;
using ControlPlane.Infrastructure.Data;
using ControlPlane.Infrastructure.Jobs;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ControlPlane.Features.Wallets;

/// <summary>How full a wallet is: under its first threshold, past it, or at (or over) its limit.</summary>
public enum WalletLevel
{
    Normal,
    Warning,
    Exhausted,
}

/// <summary>One budget event (a threshold crossed, a wallet exhausted) as the Wallets page lists it.</summary>
public sealed record WalletEventRow(Guid Id, Guid WalletId, string WalletName, string Kind, int Threshold, DateTime At, string Message);

/// <summary>
/// One wallet as the Wallets page shows it, with this period's numbers. Money is decimal throughout:
/// <see cref="Available"/> = ceiling (limit plus overdraft) − spent − held; <see cref="Utilisation"/> = spent / limit in
/// percent; <see cref="Forecast"/> = spent / elapsed fraction of the period (a straight line), null without a period
/// or in the period's first hour (too little to go on).
/// </summary>
public sealed record WalletRow(
    Guid Id, string Name, string OwnerKind, Guid OwnerId, Guid? ParentWalletId, int Depth, string Path,
    decimal? Limit, decimal OverdraftPercent, string Period, DateTime PeriodStart, DateTime? PeriodEnd,
    decimal Spent, decimal Leased, IReadOnlyList<int> Thresholds, string ExhaustionPolicy, string? DowngradeAlias,
    decimal? Forecast, IReadOnlyList<WalletEventRow> RecentEvents)
{
    public bool Unlimited => Limit is null;
    public decimal? Ceiling => Limit is { } limit ? limit * (1 + OverdraftPercent / 100m) : null;
    public decimal? Available => Ceiling is { } ceiling ? ceiling - Spent - Leased : null;

    /// <summary>Spent in percent of the limit; a zero limit counts as fully used.</summary>
    public decimal? Utilisation => Limit switch
    {
        null => null,
        0m => 100m,
        { } limit => Spent / limit * 100m,
    };

    public WalletLevel Level => Utilisation switch
    {
        null => WalletLevel.Normal,
        >= 100m => WalletLevel.Exhausted,
        { } u when Thresholds.Count > 0 && u >= Thresholds.Min() => WalletLevel.Warning,
        _ => WalletLevel.Normal,
    };

    /// <summary>The settings as the edit form starts from them.</summary>
    public WalletForm ToForm() => new()
    {
        Limit = Limit, Period = Period, OverdraftPercent = OverdraftPercent, Thresholds = string.Join(",", Thresholds),
        ExhaustionPolicy = ExhaustionPolicy, DowngradeAlias = DowngradeAlias,
    };
}

/// <summary>Something that could have a budget and has none yet: the organisation, a team or a key.</summary>
public sealed record BudgetCandidate(string OwnerKind, Guid OwnerId, string Label);

/// <summary>The wallets someone may see, the latest events on them, and (for those who may edit) what has no budget yet.</summary>
public sealed record WalletOverview(IReadOnlyList<WalletRow> Wallets, IReadOnlyList<WalletEventRow> Events, bool MayEdit, IReadOnlyList<BudgetCandidate> Unbudgeted)
{
    public static WalletOverview Empty { get; } = new([], [], false, []);
}

/// <summary>
/// Reads wallets for the Wallets page. Who sees what:
/// <list type="bullet">
/// <item>Owner, Admin, FinanceAdmin and Auditor (org-wide roles): every wallet, the organisation's included.</item>
/// <item>TeamLead and Member: the wallets of the teams <see cref="TeamDirectory.VisibleToAsync"/> gives them (their teams and
/// subteams, as on the Teams and Calls pages) and of those teams' keys. Not the organisation's wallet: how much the
/// whole organisation spends is finance's business, and a team's own bar already says how much it may still spend.</item>
/// </list>
/// Only Owner and FinanceAdmin change budgets (<see cref="WalletService.MayEdit"/>); the page reads that from here.
/// </summary>
public sealed class WalletQueries(IDbContextFactory<ControlPlaneDb> dbFactory, TeamDirectory teams, TimeProvider clock, IOptions<OrganisationOptions> organisation)
{
    public const int EventsPerWallet = 5;
    public const int EventsListed = 50;

    /// <summary>The wallet tree the actor may see, each parent before its children.</summary>
    public async Task<WalletOverview> OverviewAsync(Actor actor, CancellationToken ct = default)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var scope = await teams.VisibleToAsync(actor, ct);

        var wallets = await db.Wallets.AsNoTracking().ToListAsync(ct);
        var keyTeams = await db.ApiKeys.AsNoTracking().Select(k => new { k.Id, k.TeamId }).ToDictionaryAsync(k => k.Id, k => k.TeamId, ct);
        var projectTeams = await db.Projects.AsNoTracking().Select(p => new { p.Id, p.TeamId }).ToDictionaryAsync(p => p.Id, p => p.TeamId, ct);
        var visible = actor.IsOrgWide ? wallets : wallets.Where(w => w.OwnerKind switch
        {
            WalletOwners.Team => scope.Includes(w.OwnerId),
            WalletOwners.Project => projectTeams.TryGetValue(w.OwnerId, out var projectTeam) && scope.Includes(projectTeam),
            WalletOwners.Key => keyTeams.TryGetValue(w.OwnerId, out var team) && scope.Includes(team),
            _ => false,
        }).ToList();

        var ids = visible.Select(w => w.Id).ToList();
        var names = visible.ToDictionary(w => w.Id, w => w.Name);
        var events = ids.Count == 0 ? [] : (await db.WalletEvents.AsNoTracking().Where(e => ids.Contains(e.WalletId)).ToListAsync(ct))
            .OrderByDescending(e => e.At).ThenByDescending(e => e.Threshold)
            .Select(e => new WalletEventRow(e.Id, e.WalletId, names[e.WalletId], e.Kind, e.Threshold, e.At, e.Message)).ToList();
        var eventsOf = events.ToLookup(e => e.WalletId);

        var rows = new List<WalletRow>(visible.Count);
        var known = visible.Select(w => w.Id).ToHashSet();
        var children = visible.ToLookup(w => w.ParentWalletId is { } p && known.Contains(p) ? p : (Guid?)null);
        foreach (var root in Ordered(children[null]))
            Walk(root, 0, root.Name);

        var mayEdit = WalletService.MayEdit(actor);
        var unbudgeted = mayEdit ? await UnbudgetedAsync(db, wallets, now, ct) : [];
        return new WalletOverview(rows, [.. events.Take(EventsListed)], mayEdit, unbudgeted);

        void Walk(Wallet wallet, int depth, string path)
        {
            rows.Add(RowOf(wallet, depth, path, now, [.. eventsOf[wallet.Id].Take(EventsPerWallet)], organisation.Value.Zone));
            foreach (var child in Ordered(children[wallet.Id]))
                Walk(child, depth + 1, $"{path} / {child.Name}");
        }
    }

    /// <summary>Organisation first, then teams, then keys, each by name.</summary>
    private static IEnumerable<Wallet> Ordered(IEnumerable<Wallet> wallets) =>
        wallets.OrderBy(w => w.OwnerKind switch { WalletOwners.Organization => 0, WalletOwners.Team => 1, WalletOwners.Project => 2, _ => 3 })
            .ThenBy(w => w.Name, StringComparer.OrdinalIgnoreCase);

    internal static WalletRow RowOf(Wallet w, int depth, string path, DateTime now, IReadOnlyList<WalletEventRow> events, TimeZoneInfo? zone = null)
    {
        var end = WalletPeriods.EndOf(w.Period, w.PeriodStart, zone ?? TimeZoneInfo.Utc);
        return new WalletRow(w.Id, w.Name, w.OwnerKind, w.OwnerId, w.ParentWalletId, depth, path, w.Limit, w.OverdraftPercent, w.Period,
            w.PeriodStart, end, w.Spent, w.Leased, WalletRules.ParseThresholds(w.Thresholds), w.ExhaustionPolicy, w.DowngradeAlias,
            Forecast(w.Spent, w.PeriodStart, end, now), events);
    }

    /// <summary>
    /// Spend at the end of the period if it goes on at the rate so far: spent / (elapsed / length). Null without a
    /// period end or before an hour has passed; past the end (a rollover not yet applied) the period counts as whole.
    /// </summary>
    public static decimal? Forecast(decimal spent, DateTime periodStart, DateTime? periodEnd, DateTime now)
    {
        if (periodEnd is not { } end || end <= periodStart) return null;
        var elapsed = now - periodStart;
        if (elapsed < TimeSpan.FromHours(1)) return null;
        var fraction = Math.Min(1m, (decimal)elapsed.Ticks / (end - periodStart).Ticks);
        return spent / fraction;
    }

    private static async Task<IReadOnlyList<BudgetCandidate>> UnbudgetedAsync(ControlPlaneDb db, IReadOnlyList<Wallet> wallets, DateTime now, CancellationToken ct)
    {
        var owned = wallets.Select(w => (w.OwnerKind, w.OwnerId)).ToHashSet();
        var result = new List<BudgetCandidate>();
        if (!wallets.Any(w => w.OwnerKind == WalletOwners.Organization)
            && await db.Organizations.AsNoTracking().OrderBy(o => o.CreatedAt).FirstOrDefaultAsync(ct) is { } org)
            result.Add(new BudgetCandidate(WalletOwners.Organization, org.Id, $"Organisation {org.Name}"));

        var tree = TeamTree.Build(await db.Teams.AsNoTracking().ToListAsync(ct), new Dictionary<Guid, int>());
        result.AddRange(tree.Where(n => !owned.Contains((WalletOwners.Team, n.Team.Id)))
            .Select(n => new BudgetCandidate(WalletOwners.Team, n.Team.Id, $"Team {n.Path}")));

        var paths = tree.ToDictionary(n => n.Team.Id, n => n.Path);
        var projects = await db.Projects.AsNoTracking().ToListAsync(ct);
        result.AddRange(projects.Where(p => !owned.Contains((WalletOwners.Project, p.Id)))
            .OrderBy(p => paths.GetValueOrDefault(p.TeamId), StringComparer.OrdinalIgnoreCase).ThenBy(p => p.Name, StringComparer.OrdinalIgnoreCase)
            .Select(p => new BudgetCandidate(WalletOwners.Project, p.Id, $"Project {p.Name} · {paths.GetValueOrDefault(p.TeamId) ?? "no team"}")));
        var keys = await db.ApiKeys.AsNoTracking().Where(k => k.RevokedAt == null).ToListAsync(ct);
        result.AddRange(keys.Where(k => k.StatusAt(now) == Keys.ApiKeyStatus.Active && !owned.Contains((WalletOwners.Key, k.Id)))
            .OrderBy(k => paths.GetValueOrDefault(k.TeamId), StringComparer.OrdinalIgnoreCase).ThenBy(k => k.Name, StringComparer.OrdinalIgnoreCase)
            .Select(k => new BudgetCandidate(WalletOwners.Key, k.Id, $"Key {k.Name} ({k.Prefix}…) · {paths.GetValueOrDefault(k.TeamId) ?? "no team"}")));
        return result;
    }
}
