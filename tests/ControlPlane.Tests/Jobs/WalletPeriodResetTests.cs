using ControlPlane.Features.Wallets;
using ControlPlane.Infrastructure.Data;
using ControlPlane.Infrastructure.Jobs;
using ControlPlane.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ControlPlane.Tests.Jobs;

/// <summary>The period reset job with an injected clock: at a boundary, twice, after missed boundaries, in non-UTC zones.</summary>
public abstract class WalletPeriodResetTests(DatabaseProvider provider) : IAsyncLifetime
{
    private AppFactory _app = default!;

    public async Task InitializeAsync()
    {
        _app = new AppFactory(await TestDatabase.CreateAsync(provider), seedDemoData: false);
        _ = _app.Server;
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _app.Database.DisposeAsync();
    }

    private sealed class Clock(DateTime now) : TimeProvider
    {
        public DateTime Now { get; set; } = now;
        public override DateTimeOffset GetUtcNow() => new(Now, TimeSpan.Zero);
    }

    private WalletPeriodReset Job(Clock clock, string zone) =>
        ActivatorUtilities.CreateInstance<WalletPeriodReset>(_app.Services, clock, Options.Create(new OrganisationOptions { TimeZone = zone }));

    private async Task<Guid> WalletAsync(string period, DateTime periodStart, decimal spent)
    {
        await using var db = _app.OpenDb();
        var wallet = new Wallet
        {
            Id = Guid.CreateVersion7(), Name = $"Reset {Guid.NewGuid():N}"[..20], OwnerKind = WalletOwners.Team, OwnerId = Guid.NewGuid(), Period = period,
            Limit = 100m, Thresholds = WalletRules.DefaultThresholds, ExhaustionPolicy = ExhaustionPolicies.Block, PeriodStart = periodStart,
            Spent = spent, CreatedAt = periodStart,
        };
        db.Wallets.Add(wallet);
        await db.SaveChangesAsync();
        return wallet.Id;
    }

    private async Task<(Wallet Wallet, List<LedgerEntry> Resets)> ReadAsync(Guid id)
    {
        await using var db = _app.OpenDb();
        var wallet = await db.Wallets.AsNoTracking().SingleAsync(w => w.Id == id);
        var resets = await db.LedgerEntries.AsNoTracking().Where(e => e.WalletId == id && e.Kind == LedgerKinds.Reset).ToListAsync();
        return (wallet, resets);
    }

    [DatabaseFact]
    public async Task At_the_New_York_midnight_the_day_resets_once_and_a_second_run_changes_nothing()
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById("America/New_York");
        var start = WalletPeriods.StartOf(WalletPeriods.Daily, new DateTime(2026, 12, 2, 12, 0, 0, DateTimeKind.Utc), zone); // 05:00 UTC
        var id = await WalletAsync(WalletPeriods.Daily, start, 7.25m);
        var clock = new Clock(start.AddDays(1).AddTicks(-1)); // one tick before the New York midnight
        var job = Job(clock, "America/New_York");

        await job.RunAsync(CancellationToken.None);
        Assert.Equal(7.25m, (await ReadAsync(id)).Wallet.Spent); // the UTC midnight (five hours earlier) was no boundary

        clock.Now = start.AddDays(1);
        await job.RunAsync(CancellationToken.None);
        await job.RunAsync(CancellationToken.None);

        var (wallet, resets) = await ReadAsync(id);
        Assert.Equal(0m, wallet.Spent);
        Assert.Equal(start.AddDays(1), wallet.PeriodStart);
        Assert.Equal(-7.25m, Assert.Single(resets).Amount);
    }

    [DatabaseFact]
    public async Task After_missed_boundaries_one_run_catches_up_to_the_current_period()
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById("Asia/Kolkata");
        var start = WalletPeriods.StartOf(WalletPeriods.Monthly, new DateTime(2026, 9, 10, 0, 0, 0, DateTimeKind.Utc), zone);
        var id = await WalletAsync(WalletPeriods.Monthly, start, 42m);
        var now = new DateTime(2026, 12, 2, 3, 0, 0, DateTimeKind.Utc); // three boundaries later, while the cluster was down
        var job = Job(new Clock(now), "Asia/Kolkata");

        Assert.Equal(1, await job.RollOverAsync());
        Assert.Equal(0, await job.RollOverAsync());

        var (wallet, resets) = await ReadAsync(id);
        Assert.Equal(new DateTime(2026, 11, 30, 18, 30, 0, DateTimeKind.Utc), wallet.PeriodStart); // 1 December 00:00 IST
        Assert.Equal(0m, wallet.Spent);
        Assert.Equal(-42m, Assert.Single(resets).Amount);
    }

    [DatabaseFact]
    public async Task A_wallet_without_spend_moves_to_the_new_period_without_a_ledger_entry()
    {
        var start = new DateTime(2026, 11, 30, 0, 0, 0, DateTimeKind.Utc);
        var id = await WalletAsync(WalletPeriods.Weekly, start, 0m);
        await Job(new Clock(start.AddDays(7)), "UTC").RunAsync(CancellationToken.None);

        var (wallet, resets) = await ReadAsync(id);
        Assert.Equal(start.AddDays(7), wallet.PeriodStart);
        Assert.Empty(resets);
    }

    [DatabaseFact]
    public async Task The_gateways_wallet_book_says_the_period_ends_at_the_organisations_midnight()
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById("Asia/Kolkata");
        var start = WalletPeriods.StartOf(WalletPeriods.Daily, new DateTime(2026, 12, 2, 12, 0, 0, DateTimeKind.Utc), zone); // 18:30 UTC the day before
        var id = await WalletAsync(WalletPeriods.Daily, start, 1m);
        var book = ActivatorUtilities.CreateInstance<WalletBook>(_app.Services, Options.Create(new OrganisationOptions { TimeZone = "Asia/Kolkata" }));

        await book.ReloadAsync();

        Assert.Equal(new DateTime(2026, 12, 2, 18, 30, 0, DateTimeKind.Utc), book.Find(id)!.PeriodEndsAt); // midnight in Kolkata, not in UTC
    }
}

public sealed class WalletPeriodResetTests_on_Sqlite() : WalletPeriodResetTests(DatabaseProvider.Sqlite);

public sealed class WalletPeriodResetTests_on_Postgres() : WalletPeriodResetTests(DatabaseProvider.Postgres);
