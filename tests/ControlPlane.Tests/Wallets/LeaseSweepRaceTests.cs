using ControlPlane.Features.Metering;
using ControlPlane.Features.Wallets;
using ControlPlane.Tests.Gateway;
using ControlPlane.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Xunit.Abstractions;

namespace ControlPlane.Tests.Wallets;

/// <summary>
/// A node that stalled past its lease's expiry (and the sweep grace) wakes and renews or returns the lease at the very
/// moment the wallets.lease-sweep job, on another node, sweeps it: both are started together on their own threads, many
/// times over, on the real database. Whichever wins, exactly one takes effect: the lease is renewed and not swept, or
/// swept and the renewal refused (the node then stops spending it and takes a new lease); its money is freed once.
/// </summary>
public abstract class LeaseSweepRaceTests<TApp>(TApp gateway, ITestOutputHelper output) : IDisposable where TApp : GatewayApp
{
    private const int Rounds = 12;

    public void Dispose()
    {
        gateway.Upstream.Reset();
        GC.SuppressFinalize(this);
    }

    private sealed class ManualClock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;
        public override DateTimeOffset GetUtcNow() => Now;
    }

    private WalletOptions Options => gateway.App.Services.GetRequiredService<IOptions<WalletOptions>>().Value;

    /// <summary>The job as Hangfire runs it, on this app (the sweeping node): its own leases are never the stalled node's.</summary>
    private LeaseSweep Job() => ActivatorUtilities.CreateInstance<LeaseSweep>(gateway.App.Services);

    private async Task<(Guid Team, WalletInfo Wallet)> WalletAsync(string name)
    {
        var team = await WalletTestKit.TeamWithBudgetAsync(gateway, $"{name}-{Guid.NewGuid():N}"[..20], 1m);
        var id = (await WalletTestKit.WalletOfTeamAsync(gateway, team)).Id;
        var book = gateway.App.Services.GetRequiredService<WalletBook>();
        await book.ReloadAsync();
        return (team, book.Find(id)!);
    }

    private async Task ChargeAsync(Guid team, Guid wallet, Guid lease, decimal cost)
    {
        var record = new CallRecord { Id = Guid.CreateVersion7(), At = DateTime.UtcNow, Endpoint = "chat", TeamId = team, Status = 200, Cost = cost };
        await gateway.App.Services.GetRequiredService<CallLog>().RecordAsync(new MeteredCall(record, Charges: [new(wallet, lease, cost)]));
        await gateway.CallAsync($"req_{record.Id:N}");
    }

    /// <summary>
    /// Runs both at once, each on its own thread (SQLite waits for its write lock synchronously), alternating which is
    /// let go first and holding the other back 0 to 12 ms, so the two meet at different points of each other's work.
    /// </summary>
    private static async Task RaceAsync(int round, Func<Task> node, Func<Task> sweep)
    {
        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var first = round % 2 == 0 ? node : sweep;
        var second = round % 2 == 0 ? sweep : node;
        var lag = TimeSpan.FromMilliseconds(round / 2 % 4 * 4);
        var a = Task.Run(async () => { await go.Task; await first(); });
        var b = Task.Run(async () => { await go.Task; await Task.Delay(lag); await second(); });
        go.SetResult();
        await Task.WhenAll(a, b);
    }

    /// <summary>
    /// The lease's money left the held account once, and the wallet's leased total is exactly what its open leases
    /// still hold (granted less charged): no money freed twice, none lost.
    /// </summary>
    private async Task AssertFreedOnceAsync(Guid wallet, Guid lease)
    {
        await using var db = gateway.App.OpenDb();
        var closes = await db.LedgerEntries.AsNoTracking()
            .Where(e => e.LeaseId == lease && e.WalletId == wallet && e.Kind == LedgerKinds.Release && e.Account == LedgerAccounts.Held).CountAsync();
        Assert.True(closes <= 1, $"lease {lease} was closed {closes} times");
        var open = await db.BudgetLeases.AsNoTracking().Where(l => l.WalletId == wallet && l.ReturnedAt == null).Select(l => l.Granted - l.Used).ToListAsync();
        var leased = await db.Wallets.AsNoTracking().Where(w => w.Id == wallet).Select(w => w.Leased).SingleAsync();
        Assert.Equal(open.Sum(), leased);
    }

    [DatabaseFact]
    public async Task A_stalled_nodes_renewal_and_the_sweep_job_racing_for_one_lease_have_exactly_one_effect()
    {
        var outcomes = new Dictionary<string, int> { ["renewed"] = 0, ["swept"] = 0 };
        for (var round = 0; round < Rounds; round++)
        {
            var (team, wallet) = await WalletAsync("Race");
            // The node's own clock stands still: however slow this machine, the lease is never idle to it.
            using var stalled = ActivatorUtilities.CreateInstance<BudgetLeases>(gateway.App.Services, (TimeProvider)new ManualClock(DateTimeOffset.UtcNow));
            var part = (await stalled.TryHoldAsync(wallet, 0.3m, CancellationToken.None))!.Value;
            BudgetLeases.Release(part, 0.1m);
            await ChargeAsync(team, wallet.Id, part.LeaseId, 0.1m);
            // The node stalled: in the database's clock its lease ran out long ago (beyond the sweep grace). It wakes
            // with the lease still in use (not idle), so its maintenance renews rather than returns it.
            await using (var db = gateway.App.OpenDb())
                await WalletTestKit.ExpireBeyondGraceAsync(gateway, db, stalled.Node);

            await RaceAsync(round, () => stalled.MaintainAsync(returnAll: false, CancellationToken.None), () => Job().RunAsync(CancellationToken.None));

            BudgetLease row;
            await using (var db = gateway.App.OpenDb())
                row = await db.BudgetLeases.AsNoTracking().SingleAsync(l => l.Id == part.LeaseId);
            var next = (await stalled.TryHoldAsync(gateway.App.Services.GetRequiredService<WalletBook>().Find(wallet.Id)!, 0.05m, CancellationToken.None))!.Value;
            if (row.ReturnedAt is null)
            {
                // Renewed: not swept, expiry pushed into the future, and the node keeps spending the same lease.
                outcomes["renewed"]++;
                Assert.False(row.Swept);
                Assert.True(row.ExpiresAt > DateTime.UtcNow - TimeSpan.FromSeconds(5), "an open lease after the race was renewed");
                Assert.Equal(part.LeaseId, next.LeaseId);
            }
            else
            {
                // Swept: the renewal was refused, so the node dropped the lease and the next hold is on a new one.
                outcomes["swept"]++;
                Assert.True(row.Swept);
                Assert.NotEqual(part.LeaseId, next.LeaseId);
            }
            await AssertFreedOnceAsync(wallet.Id, part.LeaseId);

            BudgetLeases.Release(next, 0.05m);
            await ChargeAsync(team, wallet.Id, next.LeaseId, 0.05m);
            await stalled.MaintainAsync(returnAll: true, CancellationToken.None);
            var after = await WalletTestKit.WalletOfTeamAsync(gateway, team);
            Assert.Equal((0.15m, 0m), (after.Spent, after.Leased));
            await AssertFreedOnceAsync(wallet.Id, part.LeaseId);
        }
        output.WriteLine($"{Rounds} races: {outcomes["renewed"]} renewed, {outcomes["swept"]} swept");
        await WalletTestKit.AssertLedgerBalancesAsync(gateway);
    }

    [DatabaseFact]
    public async Task A_waking_nodes_return_and_the_sweep_job_racing_for_one_lease_free_its_money_once()
    {
        var outcomes = new Dictionary<string, int> { ["returned"] = 0, ["swept"] = 0 };
        for (var round = 0; round < Rounds; round++)
        {
            var (team, wallet) = await WalletAsync("Return");
            var clock = new ManualClock(DateTimeOffset.UtcNow);
            using var stalled = ActivatorUtilities.CreateInstance<BudgetLeases>(gateway.App.Services, (TimeProvider)clock);
            var part = (await stalled.TryHoldAsync(wallet, 0.3m, CancellationToken.None))!.Value;
            BudgetLeases.Release(part, 0.1m);
            await ChargeAsync(team, wallet.Id, part.LeaseId, 0.1m);
            await using (var db = gateway.App.OpenDb())
                await WalletTestKit.ExpireBeyondGraceAsync(gateway, db, stalled.Node);
            // It wakes idle: its maintenance returns the lease with what it counted unspent, as the sweep gives back what
            // the database says was not charged. Only one of the two may close it.
            clock.Now += Options.LeaseIdleReturn + TimeSpan.FromSeconds(1);

            await RaceAsync(round, () => stalled.MaintainAsync(returnAll: false, CancellationToken.None), () => Job().RunAsync(CancellationToken.None));

            await using (var db = gateway.App.OpenDb())
            {
                var row = await db.BudgetLeases.AsNoTracking().SingleAsync(l => l.Id == part.LeaseId);
                Assert.NotNull(row.ReturnedAt);
                outcomes[row.Swept ? "swept" : "returned"]++;
                var releases = await db.LedgerEntries.AsNoTracking()
                    .Where(e => e.LeaseId == part.LeaseId && e.WalletId == wallet.Id && e.Kind == LedgerKinds.Release && e.Account == LedgerAccounts.Held)
                    .Select(e => e.Amount).ToListAsync();
                Assert.Equal(-0.2m, Assert.Single(releases));
            }
            await AssertFreedOnceAsync(wallet.Id, part.LeaseId);
            var after = await WalletTestKit.WalletOfTeamAsync(gateway, team);
            Assert.Equal((0.1m, 0m), (after.Spent, after.Leased));
        }
        output.WriteLine($"{Rounds} races: {outcomes["returned"]} returned by the node, {outcomes["swept"]} swept");
        await WalletTestKit.AssertLedgerBalancesAsync(gateway);
    }

    [DatabaseFact]
    public async Task The_sweep_job_gives_back_a_dead_nodes_lease_once_and_leaves_live_ones_alone()
    {
        var (team, wallet) = await WalletAsync("Dead");
        using var dead = ActivatorUtilities.CreateInstance<BudgetLeases>(gateway.App.Services);
        using var live = ActivatorUtilities.CreateInstance<BudgetLeases>(gateway.App.Services);
        var lost = (await dead.TryHoldAsync(wallet, 0.2m, CancellationToken.None))!.Value;
        var kept = (await live.TryHoldAsync(wallet, 0.2m, CancellationToken.None))!.Value;
        await using (var db = gateway.App.OpenDb())
            await WalletTestKit.ExpireBeyondGraceAsync(gateway, db, dead.Node);

        await Job().RunAsync(CancellationToken.None);
        await Job().RunAsync(CancellationToken.None); // a second run (another node, or a retry) changes nothing

        await using (var db = gateway.App.OpenDb())
        {
            Assert.True((await db.BudgetLeases.AsNoTracking().SingleAsync(l => l.Id == lost.LeaseId)).Swept);
            Assert.Null((await db.BudgetLeases.AsNoTracking().SingleAsync(l => l.Id == kept.LeaseId)).ReturnedAt);
        }
        await AssertFreedOnceAsync(wallet.Id, lost.LeaseId);
        BudgetLeases.Release(kept, 0m);
        await live.MaintainAsync(returnAll: true, CancellationToken.None);
        Assert.Equal(0m, (await WalletTestKit.WalletOfTeamAsync(gateway, team)).Leased);
        await WalletTestKit.AssertLedgerBalancesAsync(gateway);
    }
}

public sealed class LeaseSweepRaceTests_on_Sqlite(SqliteGatewayApp g, ITestOutputHelper o) : LeaseSweepRaceTests<SqliteGatewayApp>(g, o), IClassFixture<SqliteGatewayApp>;

public sealed class LeaseSweepRaceTests_on_Postgres(PostgresGatewayApp g, ITestOutputHelper o) : LeaseSweepRaceTests<PostgresGatewayApp>(g, o), IClassFixture<PostgresGatewayApp>;
