using ControlPlane.Features.Wallets;
using ControlPlane.Tests.Overview;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Tests.Wallets;

/// <summary>
/// A wallet's burn over its current period, read from the ledger at a fixed moment (2026-11-15 13:00 UTC): cumulative,
/// one point per day (per hour for daily wallets), only this period's spend, never the reset or another account.
/// </summary>
public sealed class WalletBurnTests(WalletBurnTests.BurnApp app) : IClassFixture<WalletBurnTests.BurnApp>
{
    private static readonly DateTime Now = ClockedDemoApp.Now;
    private static readonly DateTime November = new(2026, 11, 1, 0, 0, 0, DateTimeKind.Utc);

    /// <summary>The demo plus a monthly and a daily wallet with ledger entries at known moments.</summary>
    public sealed class BurnApp : ClockedDemoApp
    {
        public Wallet Monthly { get; private set; } = default!;
        public Wallet Daily { get; private set; } = default!;

        protected override async Task SeedAsync()
        {
            Monthly = await WalletAsync("Burn Monthly", WalletPeriods.Monthly, 10m);
            Daily = await WalletAsync("Burn Daily", WalletPeriods.Daily, null);
            await using var db = OpenDb();
            Charge(db, Monthly, November.AddDays(-1).AddHours(23), 50m);       // last period's: not this one's burn
            Ledger.AddTransfer(db, November.AddSeconds(1), LedgerKinds.Reset, null, LedgerAccounts.Closed, Monthly.Id, LedgerAccounts.Spent, 50m);
            Charge(db, Monthly, November.AddDays(2).AddHours(10), 1m);
            Charge(db, Monthly, November.AddDays(2).AddHours(11), 2m);
            Charge(db, Monthly, November.AddDays(9).AddHours(20), 0.5m);
            Charge(db, Monthly, Now.AddHours(1), 100m);                         // after now (a clock ahead on another node)
            Ledger.AddTransfer(db, November.AddDays(4), LedgerKinds.Hold, Monthly.Id, LedgerAccounts.Held, null, LedgerAccounts.Budget, 7m); // held, not spent
            Charge(db, Daily, Now.Date.AddHours(9).AddMinutes(30), 1m);
            Charge(db, Daily, Now.Date.AddHours(12).AddMinutes(59), 2m);
            await db.SaveChangesAsync();
        }

        private async Task<Wallet> WalletAsync(string team, string period, decimal? limit)
        {
            var teamId = await TeamAsync(team);
            await using var db = OpenDb();
            var wallet = new Wallet
            {
                Id = Guid.CreateVersion7(), Name = $"Team {team}", OwnerKind = WalletOwners.Team, OwnerId = teamId, Period = period, Limit = limit,
                Thresholds = WalletRules.DefaultThresholds, ExhaustionPolicy = ExhaustionPolicies.Block,
                PeriodStart = WalletPeriods.StartOf(period, Now), CreatedAt = Now.AddDays(-40),
            };
            db.Wallets.Add(wallet);
            await db.SaveChangesAsync();
            return wallet;
        }

        private static void Charge(ControlPlane.Infrastructure.Data.ControlPlaneDb db, Wallet wallet, DateTime at, decimal amount) =>
            Ledger.AddTransfer(db, at, LedgerKinds.Charge, wallet.Id, LedgerAccounts.Spent, null, LedgerAccounts.Budget, amount);
    }

    private Task<WalletBurnLine> BurnAsync(Wallet wallet) => app.WithScopeAsync(sp =>
        sp.GetRequiredService<WalletBurn>().ReadAsync(WalletQueries.RowOf(wallet, 0, wallet.Name, Now, [])));

    [Fact]
    public async Task A_monthly_wallet_burns_day_by_day_from_the_first_of_the_month_to_now()
    {
        var burn = await BurnAsync(app.Monthly);

        var days = Enumerable.Range(0, 15).Select(d => November.AddDays(d)).Append(Now).ToList();
        Assert.Equal(days, burn.Points.Select(p => p.At));
        Assert.Equal([0m, 0m, 0m, 3m, 3m, 3m, 3m, 3m, 3m, 3m, 3.5m, 3.5m, 3.5m, 3.5m, 3.5m, 3.5m], burn.Points.Select(p => p.Spent));
        Assert.Equal(3.5m, burn.Spent);
        Assert.Equal(10m, burn.Limit);
        Assert.Equal(November.AddMonths(1), burn.PeriodEnd);
    }

    [Fact]
    public async Task A_daily_wallet_burns_hour_by_hour()
    {
        var burn = await BurnAsync(app.Daily);

        Assert.Equal(Enumerable.Range(0, 13).Select(h => Now.Date.AddHours(h)).Append(Now), burn.Points.Select(p => p.At));
        Assert.Equal(0m, burn.Points[9].Spent);   // 09:00, before the 09:30 charge
        Assert.Equal(1m, burn.Points[10].Spent);  // 10:00
        Assert.Equal(1m, burn.Points[12].Spent);  // 12:00, before the 12:59 charge
        Assert.Equal(3m, burn.Spent);
        Assert.Null(burn.Limit);
    }

    [Fact]
    public async Task The_demo_wallets_burn_ends_at_what_they_have_spent()
    {
        await using var db = app.OpenDb();
        var teamWallets = await db.Wallets.AsNoTracking().Where(w => w.OwnerKind == WalletOwners.Team && w.Name.StartsWith("Team ") && !w.Name.StartsWith("Team Burn")).ToListAsync();
        Assert.Equal(6, teamWallets.Count);

        foreach (var wallet in teamWallets)
        {
            var burn = await BurnAsync(wallet);
            Assert.Equal(wallet.Spent, burn.Spent);
            Assert.Equal(wallet.PeriodStart, burn.Points[0].At);
            Assert.True(burn.Points.Zip(burn.Points.Skip(1)).All(p => p.First.Spent <= p.Second.Spent && p.First.At < p.Second.At), $"{wallet.Name} does not rise over time");
        }
    }
}
