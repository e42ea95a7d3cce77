using ControlPlane.Features.People;
using ControlPlane.Features.Teams;
using ControlPlane.Features.Wallets;
using ControlPlane.Infrastructure.Auth;
using ControlPlane.Tests.Gateway;
using ControlPlane.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Tests.Wallets;

/// <summary>Sets up budgets on a running gateway and checks the money afterwards.</summary>
public static class WalletTestKit
{
    public static readonly Actor Finance = new(null, "test-finance", Roles.FinanceAdmin);
    private static readonly Actor Admin = new(null, "test-admin", Roles.Admin);

    /// <summary>A new team (under <paramref name="parent"/>, if given) with a wallet of the given limit.</summary>
    public static async Task<Guid> TeamWithBudgetAsync(GatewayApp gateway, string name, decimal? limit, Guid? parent = null, decimal overdraft = 0,
        string policy = ExhaustionPolicies.Block, string? downgradeTo = null)
    {
        return await gateway.App.WithScopeAsync(async sp =>
        {
            var team = await sp.GetRequiredService<TeamDirectory>().CreateAsync(Admin, name, parent);
            Assert.True(team.Succeeded, team.Error);
            await EnsureOrganizationWalletAsync(sp);
            var wallet = await sp.GetRequiredService<WalletService>().SaveAsync(Finance, WalletOwners.Team, team.Value!.Id,
                new WalletForm { Limit = limit, Period = WalletPeriods.Monthly, OverdraftPercent = overdraft, ExhaustionPolicy = policy, DowngradeAlias = downgradeTo });
            Assert.True(wallet.Succeeded, wallet.Error);
            return team.Value.Id;
        });
    }

    private static async Task EnsureOrganizationWalletAsync(IServiceProvider sp)
    {
        var db = sp.GetRequiredService<IDbContextFactory<ControlPlane.Infrastructure.Data.ControlPlaneDb>>();
        await using var context = await db.CreateDbContextAsync();
        if (await context.Wallets.AnyAsync(w => w.OwnerKind == WalletOwners.Organization)) return;
        var org = await context.Organizations.FirstAsync();
        var saved = await sp.GetRequiredService<WalletService>().SaveAsync(Finance, WalletOwners.Organization, org.Id, new WalletForm { Limit = null, Period = WalletPeriods.Monthly });
        Assert.True(saved.Succeeded, saved.Error);
    }

    public static async Task<Wallet> WalletOfTeamAsync(GatewayApp gateway, Guid teamId)
    {
        await using var db = gateway.App.OpenDb();
        return await db.Wallets.AsNoTracking().SingleAsync(w => w.OwnerKind == WalletOwners.Team && w.OwnerId == teamId);
    }

    /// <summary>
    /// The ledger proves the balances: each wallet's spent and held accounts sum to its Spent and Leased, and every
    /// transaction sums to zero.
    /// </summary>
    /// <summary>Waits (up to a minute: the writer batches, and a loaded machine is slow) until the team has that many call rows.</summary>
    public static async Task WaitForRowsAsync(GatewayApp gateway, Guid teamId, int count)
    {
        for (var i = 0; i < 1200; i++)
        {
            await using var db = gateway.App.OpenDb();
            if (await db.Calls.CountAsync(c => c.TeamId == teamId) >= count) return;
            await Task.Delay(50);
        }
        throw new TimeoutException($"fewer than {count} call rows after 60 s");
    }

    public static async Task AssertLedgerBalancesAsync(GatewayApp gateway)
    {
        await using var db = gateway.App.OpenDb();
        var entries = await db.LedgerEntries.AsNoTracking().Select(e => new { e.TransactionId, e.WalletId, e.Account, e.Amount }).ToListAsync();
        foreach (var transaction in entries.GroupBy(e => e.TransactionId))
            Assert.True(transaction.Sum(e => e.Amount) == 0m, $"transaction {transaction.Key} does not balance");
        foreach (var wallet in await db.Wallets.AsNoTracking().ToListAsync())
        {
            var spent = entries.Where(e => e.WalletId == wallet.Id && e.Account == LedgerAccounts.Spent).Sum(e => e.Amount);
            var held = entries.Where(e => e.WalletId == wallet.Id && e.Account == LedgerAccounts.Held).Sum(e => e.Amount);
            Assert.True(spent == wallet.Spent, $"{wallet.Name}: Spent {wallet.Spent} but its ledger says {spent}");
            Assert.True(held == wallet.Leased, $"{wallet.Name}: Leased {wallet.Leased} but its ledger says {held}");
        }
    }

    /// <summary>
    /// Moves a node's open leases' expiry back past the sweep grace (in the database's clock, which on these test
    /// machines is the machine's), as if the node had died long enough ago that no call of it can still be running.
    /// </summary>
    public static async Task ExpireBeyondGraceAsync(GatewayApp gateway, ControlPlane.Infrastructure.Data.ControlPlaneDb db, string node)
    {
        var options = gateway.App.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<WalletOptions>>().Value;
        var past = DateTime.UtcNow - options.SweepGrace - TimeSpan.FromMinutes(1);
        await db.BudgetLeases.Where(l => l.Node == node && l.ReturnedAt == null).ExecuteUpdateAsync(s => s.SetProperty(l => l.ExpiresAt, past));
    }

    /// <summary>Returns every lease the node holds, as at shutdown.</summary>
    public static Task ReturnLeasesAsync(AppFactory app) =>
        app.Services.GetRequiredService<BudgetLeases>().MaintainAsync(returnAll: true, CancellationToken.None);
}
