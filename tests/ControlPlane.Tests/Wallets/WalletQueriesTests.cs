using ControlPlane.Features.People;
using ControlPlane.Features.Teams;
using ControlPlane.Features.Wallets;
using ControlPlane.Infrastructure.Auth;
using ControlPlane.Tests.Infrastructure;
using ControlPlane.Tests.Teams;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Tests.Wallets;

/// <summary>WalletQueries on the running app and a real, demo-seeded database: the tree, who sees which wallets, and the numbers.</summary>
public abstract class WalletQueriesTests<TApp>(TApp fixture) where TApp : AppFixture
{
    private static readonly Actor Finance = new(null, "fin", Roles.FinanceAdmin);
    private static readonly Actor Admin = new(null, "adm", Roles.Admin);
    private AppFactory App => fixture.App;

    private Task<WalletOverview> OverviewAsync(Actor actor) =>
        App.WithScopeAsync(sp => sp.GetRequiredService<WalletQueries>().OverviewAsync(actor));

    private Task<WalletOverview> OverviewAsync(string email) => App.ActorAsync(email).ContinueWith(t => OverviewAsync(t.Result)).Unwrap();

    /// <summary>A new team (under the named demo team, if any) with a budget.</summary>
    private async Task<(Guid TeamId, Guid WalletId)> TeamWithBudgetAsync(string stem, string? under, decimal? limit, WalletForm? form = null)
    {
        var parent = under is null ? (Guid?)null : await App.TeamIdAsync(under);
        return await App.WithScopeAsync(async sp =>
        {
            await EnsureOrganizationWalletAsync(sp);
            var team = await sp.GetRequiredService<TeamDirectory>().CreateAsync(Admin, DemoOrg.Unique(stem), parent);
            Assert.True(team.Succeeded, team.Error);
            form ??= new WalletForm { Limit = limit };
            var wallet = await sp.GetRequiredService<WalletService>().SaveAsync(Finance, WalletOwners.Team, team.Value!.Id, form);
            Assert.True(wallet.Succeeded, wallet.Error);
            return (team.Value.Id, wallet.Value!.Id);
        });
    }

    private static async Task EnsureOrganizationWalletAsync(IServiceProvider sp)
    {
        await using var db = await sp.GetRequiredService<IDbContextFactory<ControlPlane.Infrastructure.Data.ControlPlaneDb>>().CreateDbContextAsync();
        if (await db.Wallets.AnyAsync(w => w.OwnerKind == WalletOwners.Organization)) return;
        var org = await db.Organizations.FirstAsync();
        var saved = await sp.GetRequiredService<WalletService>().SaveAsync(Finance, WalletOwners.Organization, org.Id, new WalletForm());
        Assert.True(saved.Succeeded, saved.Error);
    }

    [Theory]
    [InlineData(DemoOrg.Olivia)]
    [InlineData(DemoOrg.Adam)]
    [InlineData(DemoOrg.Fiona)]
    [InlineData(DemoOrg.Aria)]
    public async Task Org_wide_roles_see_every_wallet_as_a_tree_each_parent_before_its_children(string email)
    {
        var (_, parentWallet) = await TeamWithBudgetAsync("Tree", null, 50m);
        var parentTeam = await ParentTeamOfAsync(parentWallet);
        var (_, childWallet) = await TeamWithBudgetAsync("TreeChild", null, 20m);
        await MoveTeamAsync(childWallet, parentTeam);
        // Saving again places the wallet under its parent team's wallet.
        await ResaveAsync(childWallet);

        var overview = await OverviewAsync(email);

        await using var db = App.OpenDb();
        Assert.Equal(await db.Wallets.CountAsync(), overview.Wallets.Count);
        var org = Assert.Single(overview.Wallets, w => w.OwnerKind == WalletOwners.Organization);
        Assert.Equal(0, org.Depth);
        Assert.Same(org, overview.Wallets[0]);
        var parent = Assert.Single(overview.Wallets, w => w.Id == parentWallet);
        var child = Assert.Single(overview.Wallets, w => w.Id == childWallet);
        Assert.Equal(parent.Id, child.ParentWalletId);
        Assert.Equal(parent.Depth + 1, child.Depth);
        Assert.Equal($"{parent.Path} / {child.Name}", child.Path);
        Assert.StartsWith(org.Name + " / ", parent.Path, StringComparison.Ordinal);
        // Each row's parent comes before it, and its depth is one more.
        for (var i = 0; i < overview.Wallets.Count; i++)
        {
            var row = overview.Wallets[i];
            if (row.ParentWalletId is not { } p) { Assert.Equal(0, row.Depth); continue; }
            var at = overview.Wallets.ToList().FindIndex(w => w.Id == p);
            Assert.InRange(at, 0, i - 1);
            Assert.Equal(overview.Wallets[at].Depth + 1, row.Depth);
        }
        var expectEdit = email is DemoOrg.Olivia or DemoOrg.Fiona;
        Assert.Equal(expectEdit, overview.MayEdit);
        if (!expectEdit) Assert.Empty(overview.Unbudgeted);
    }

    [Fact]
    public async Task A_team_lead_sees_the_wallets_of_their_subtree_only_and_not_the_organisation()
    {
        var (_, mine) = await TeamWithBudgetAsync("LeoSub", "Engineering", 1m);
        var (_, notMine) = await TeamWithBudgetAsync("RitaSub", "Research", 1m);

        var overview = await OverviewAsync(DemoOrg.Leo);

        Assert.Contains(overview.Wallets, w => w.Id == mine);
        Assert.DoesNotContain(overview.Wallets, w => w.Id == notMine);
        Assert.DoesNotContain(overview.Wallets, w => w.OwnerKind == WalletOwners.Organization);
        Assert.False(overview.MayEdit);
        Assert.Empty(overview.Unbudgeted);
        var engineering = await App.TeamIdAsync("Engineering");
        await using var db = App.OpenDb();
        var subtree = TeamTree.WithDescendants(await db.Teams.AsNoTracking().ToListAsync(), [engineering]);
        Assert.All(overview.Wallets, w => Assert.True(w.OwnerKind == WalletOwners.Team ? subtree.Contains(w.OwnerId) : w.OwnerKind == WalletOwners.Key));
        // The top of what Leo sees is a root of his tree.
        Assert.All(overview.Wallets.Where(w => w.ParentWalletId is { } p && overview.Wallets.All(o => o.Id != p)), w => Assert.Equal(0, w.Depth));
    }

    [Fact]
    public async Task A_member_sees_their_teams_wallets_and_not_other_teams()
    {
        var (_, mine) = await TeamWithBudgetAsync("MiaSub", "Search", 0.01m); // within any limit the demo gives Search
        var (_, notMine) = await TeamWithBudgetAsync("MobileSub", "Mobile", 1m);

        var overview = await OverviewAsync(DemoOrg.Mia);

        Assert.Contains(overview.Wallets, w => w.Id == mine);
        Assert.DoesNotContain(overview.Wallets, w => w.Id == notMine);
        Assert.DoesNotContain(overview.Wallets, w => w.OwnerKind == WalletOwners.Organization);
        Assert.False(overview.MayEdit);
        var sam = await OverviewAsync(DemoOrg.Sam);
        Assert.DoesNotContain(sam.Wallets, w => w.Id == mine);
    }

    [Fact]
    public async Task Utilisation_available_level_and_forecast_follow_spent_held_and_the_period()
    {
        var (_, walletId) = await TeamWithBudgetAsync("Maths", null, 100m,
            new WalletForm { Limit = 100m, OverdraftPercent = 10m, Thresholds = "50,80", Period = WalletPeriods.Monthly });
        // Periods start on calendar boundaries (the organisation's zone is UTC here): this month's, whatever today is.
        var start = WalletPeriods.StartOf(WalletPeriods.Monthly, DateTime.UtcNow);
        await using (var db = App.OpenDb())
            await db.Wallets.Where(w => w.Id == walletId).ExecuteUpdateAsync(s => s
                .SetProperty(w => w.Spent, 60.123456789m).SetProperty(w => w.Leased, 5.5m).SetProperty(w => w.PeriodStart, start));

        var before = DateTime.UtcNow;
        var row = Assert.Single((await OverviewAsync(Finance)).Wallets, w => w.Id == walletId);
        var after = DateTime.UtcNow;

        Assert.Equal(100m, row.Limit);
        Assert.Equal(110m, row.Ceiling);
        Assert.Equal(60.123456789m, row.Spent);
        Assert.Equal(5.5m, row.Leased);
        Assert.Equal(110m - 60.123456789m - 5.5m, row.Available);
        Assert.Equal(60.123456789m, row.Utilisation);
        Assert.Equal(WalletLevel.Warning, row.Level);
        Assert.Equal([50, 80], row.Thresholds);
        var end = start.AddMonths(1);
        Assert.Equal(end, row.PeriodEnd!.Value, TimeSpan.FromMilliseconds(1));
        var forecast = Assert.IsType<decimal>(row.Forecast);
        Assert.InRange(forecast, WalletQueries.Forecast(row.Spent, row.PeriodStart, row.PeriodEnd, after)!.Value,
            WalletQueries.Forecast(row.Spent, row.PeriodStart, row.PeriodEnd, before)!.Value);
        Assert.True(forecast >= row.Spent, "at the period's rate so far, the period ends at least where it stands");

        await using (var db = App.OpenDb())
            await db.Wallets.Where(w => w.Id == walletId).ExecuteUpdateAsync(s => s.SetProperty(w => w.Spent, 100m));
        Assert.Equal(WalletLevel.Exhausted, Assert.Single((await OverviewAsync(Finance)).Wallets, w => w.Id == walletId).Level);
    }

    [Fact]
    public void The_forecast_is_a_straight_line_over_the_period_and_absent_without_one_or_in_its_first_hour()
    {
        var monday = new DateTime(2026, 11, 2, 0, 0, 0, DateTimeKind.Utc);
        var sunday = WalletPeriods.EndOf(WalletPeriods.Weekly, monday);

        Assert.Equal(14m, WalletQueries.Forecast(7m, monday, sunday, monday.AddDays(3.5)));
        Assert.Equal(7m, WalletQueries.Forecast(7m, monday, sunday, monday.AddDays(9))); // past the end: the period is whole
        Assert.Null(WalletQueries.Forecast(7m, monday, sunday, monday.AddMinutes(59)));
        Assert.NotNull(WalletQueries.Forecast(7m, monday, sunday, monday.AddHours(1)));
        Assert.Null(WalletQueries.Forecast(7m, monday, WalletPeriods.EndOf(WalletPeriods.None, monday), monday.AddDays(3)));
        Assert.Equal(0m, WalletQueries.Forecast(0m, monday, sunday, monday.AddDays(2)));
    }

    [Fact]
    public void Without_a_limit_there_is_no_utilisation_and_a_zero_limit_is_fully_used()
    {
        WalletRow Row(decimal? limit, decimal spent) => new(Guid.NewGuid(), "w", WalletOwners.Team, Guid.NewGuid(), null, 0, "w", limit, 0m,
            WalletPeriods.Monthly, DateTime.UtcNow, null, spent, 0m, [80, 90], ExhaustionPolicies.Block, null, null, []);

        Assert.Null(Row(null, 5m).Utilisation);
        Assert.Null(Row(null, 5m).Available);
        Assert.Equal(WalletLevel.Normal, Row(null, 5m).Level);
        Assert.Equal(100m, Row(0m, 0m).Utilisation);
        Assert.Equal(WalletLevel.Exhausted, Row(0m, 0m).Level);
        Assert.Equal(WalletLevel.Normal, Row(10m, 7.99m).Level);
        Assert.Equal(WalletLevel.Warning, Row(10m, 8m).Level);
        Assert.Equal(WalletLevel.Exhausted, Row(10m, 10m).Level);
    }

    [Fact]
    public async Task Events_are_listed_newest_first_for_the_visible_wallets()
    {
        var (_, walletId) = await TeamWithBudgetAsync("Events", null, 10m);
        var now = DateTime.UtcNow;
        await using (var db = App.OpenDb())
        {
            var start = await db.Wallets.Where(w => w.Id == walletId).Select(w => w.PeriodStart).SingleAsync();
            foreach (var (threshold, hoursAgo) in new[] { (80, 3), (90, 2), (100, 1) })
                db.WalletEvents.Add(new WalletEvent
                {
                    Id = Guid.NewGuid(), WalletId = walletId, Kind = threshold == 100 ? WalletEventKinds.Exhausted : WalletEventKinds.Threshold,
                    Threshold = threshold, PeriodStart = start, At = now.AddHours(-hoursAgo), Message = $"crossed {threshold}",
                });
            await db.SaveChangesAsync();
        }

        var overview = await OverviewAsync(Finance);

        var row = Assert.Single(overview.Wallets, w => w.Id == walletId);
        Assert.Equal(["crossed 100", "crossed 90", "crossed 80"], row.RecentEvents.Select(e => e.Message));
        Assert.Equal(["crossed 100", "crossed 90", "crossed 80"], overview.Events.Where(e => e.WalletId == walletId).Select(e => e.Message));
        Assert.Equal(overview.Events.OrderByDescending(e => e.At).Select(e => e.Id), overview.Events.Select(e => e.Id));
        Assert.All(overview.Events.Where(e => e.WalletId == walletId), e => Assert.Equal(row.Name, e.WalletName));
        Assert.DoesNotContain((await OverviewAsync(DemoOrg.Mia)).Events, e => e.WalletId == walletId);
    }

    [Fact]
    public async Task Finance_is_offered_the_teams_and_keys_that_have_no_budget_yet()
    {
        var bare = await App.WithScopeAsync(async sp => (await sp.GetRequiredService<TeamDirectory>().CreateAsync(Admin, DemoOrg.Unique("Bare"), null)).Value!.Id);
        var (budgeted, _) = await TeamWithBudgetAsync("Budgeted", null, 5m);

        var overview = await OverviewAsync(Finance);

        Assert.True(overview.MayEdit);
        Assert.Contains(overview.Unbudgeted, c => c.OwnerKind == WalletOwners.Team && c.OwnerId == bare);
        Assert.DoesNotContain(overview.Unbudgeted, c => c.OwnerId == budgeted);
        Assert.DoesNotContain(overview.Unbudgeted, c => c.OwnerKind == WalletOwners.Organization); // it has one
        await using var db = App.OpenDb();
        var keyIds = overview.Unbudgeted.Where(c => c.OwnerKind == WalletOwners.Key).Select(c => c.OwnerId).ToList();
        Assert.All(keyIds, id => Assert.True(db.ApiKeys.Single(k => k.Id == id).RevokedAt is null));
        Assert.NotEmpty(keyIds);
    }

    private async Task<Guid> ParentTeamOfAsync(Guid walletId)
    {
        await using var db = App.OpenDb();
        return await db.Wallets.Where(w => w.Id == walletId).Select(w => w.OwnerId).SingleAsync();
    }

    private async Task MoveTeamAsync(Guid walletId, Guid newParentTeam)
    {
        await using var db = App.OpenDb();
        var teamId = await db.Wallets.Where(w => w.Id == walletId).Select(w => w.OwnerId).SingleAsync();
        await db.Teams.Where(t => t.Id == teamId).ExecuteUpdateAsync(s => s.SetProperty(t => t.ParentTeamId, newParentTeam));
    }

    private async Task ResaveAsync(Guid walletId)
    {
        await using var db = App.OpenDb();
        var wallet = await db.Wallets.AsNoTracking().SingleAsync(w => w.Id == walletId);
        var saved = await App.WithScopeAsync(sp => sp.GetRequiredService<WalletService>().SaveAsync(Finance, wallet.OwnerKind, wallet.OwnerId,
            new WalletForm { Limit = wallet.Limit, Period = wallet.Period, Thresholds = wallet.Thresholds }));
        Assert.True(saved.Succeeded, saved.Error);
    }
}

public sealed class WalletQueriesTests_on_Sqlite(SqliteApp f) : WalletQueriesTests<SqliteApp>(f), IClassFixture<SqliteApp>;

public sealed class WalletQueriesTests_on_Postgres(PostgresApp f) : WalletQueriesTests<PostgresApp>(f), IClassFixture<PostgresApp>;
