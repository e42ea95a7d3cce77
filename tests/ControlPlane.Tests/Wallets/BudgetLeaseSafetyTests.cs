using ControlPlane.Features.Metering;
using ControlPlane.Features.Wallets;
using ControlPlane.Tests.Gateway;
using ControlPlane.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ControlPlane.Tests.Wallets;

/// <summary>
/// Leases across nodes and clocks, driven directly: each "node" is its own <see cref="BudgetLeases"/> on the app's
/// database (a manual clock where the test needs one), and charges land through the real call log and charge hook.
/// </summary>
public abstract class BudgetLeaseSafetyTests<TApp>(TApp gateway) : IDisposable where TApp : GatewayApp
{
    public void Dispose()
    {
        gateway.Upstream.Reset();
        GC.SuppressFinalize(this);
    }

    /// <summary>A node's clock that the test moves by hand.</summary>
    private sealed class ManualClock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;
        public override DateTimeOffset GetUtcNow() => Now;
    }

    private WalletOptions Options => gateway.App.Services.GetRequiredService<IOptions<WalletOptions>>().Value;

    private BudgetLeases Node(TimeProvider? clock = null) => clock is null
        ? ActivatorUtilities.CreateInstance<BudgetLeases>(gateway.App.Services)
        : ActivatorUtilities.CreateInstance<BudgetLeases>(gateway.App.Services, clock);

    private async Task<(Guid Team, WalletInfo Wallet)> WalletAsync(string name, decimal limit)
    {
        var team = await WalletTestKit.TeamWithBudgetAsync(gateway, $"{name}-{Guid.NewGuid():N}"[..20], limit);
        var id = (await WalletTestKit.WalletOfTeamAsync(gateway, team)).Id;
        var book = gateway.App.Services.GetRequiredService<WalletBook>();
        await book.ReloadAsync();
        return (team, book.Find(id)!);
    }

    /// <summary>A call's charge as its node's writer would write it, on the lease its hold came from; waits for the row.</summary>
    private async Task ChargeAsync(Guid team, Guid wallet, Guid lease, decimal cost)
    {
        var record = new CallRecord { Id = Guid.CreateVersion7(), At = DateTime.UtcNow, Endpoint = "chat", TeamId = team, Status = 200, Cost = cost };
        await gateway.App.Services.GetRequiredService<CallLog>().RecordAsync(new MeteredCall(record, Charges: [new(wallet, lease, cost)]));
        await gateway.CallAsync($"req_{record.Id:N}");
    }

    private async Task<BudgetLease> LeaseAsync(Guid id)
    {
        await using var db = gateway.App.OpenDb();
        return await db.BudgetLeases.AsNoTracking().SingleAsync(l => l.Id == id);
    }

    private async Task<DateTime> DatabaseNowAsync()
    {
        await using var db = gateway.App.OpenDb();
        return await DatabaseClock.NowAsync(db, CancellationToken.None);
    }

    [DatabaseFact]
    public async Task A_lease_in_debt_takes_no_hold_until_a_grant_repays_the_debt_first()
    {
        var (team, wallet) = await WalletAsync("Debt", 1m);
        using var node = Node();
        var first = (await node.TryHoldAsync(wallet, 0.1m, CancellationToken.None))!.Value;
        Assert.Equal(0.1m, (await LeaseAsync(first.LeaseId)).Granted);

        // The call costs 0.4 on a hold of 0.1: the lease is 0.3 in debt.
        BudgetLeases.Release(first, 0.4m);
        await ChargeAsync(team, wallet.Id, first.LeaseId, 0.4m);

        // Even a hold of nothing needs a grant now, and that grant repays the debt first: 0.3 + 0.
        var second = (await node.TryHoldAsync(wallet, 0m, CancellationToken.None))!.Value;
        Assert.Equal(first.LeaseId, second.LeaseId);
        await using (var db = gateway.App.OpenDb())
        {
            var grants = await db.LedgerEntries.AsNoTracking().Where(e => e.LeaseId == first.LeaseId && e.Kind == LedgerKinds.Hold && e.WalletId == wallet.Id)
                .Select(e => e.Amount).ToListAsync();
            Assert.Equal([0.1m, 0.3m], grants.Order());
        }
        var lease = await LeaseAsync(first.LeaseId);
        Assert.Equal(lease.Granted, lease.Used); // debt repaid in full
        BudgetLeases.Release(second, 0m);
        await node.MaintainAsync(returnAll: true, CancellationToken.None);
        var after = await WalletTestKit.WalletOfTeamAsync(gateway, team);
        Assert.Equal((0.4m, 0m), (after.Spent, after.Leased));
        await WalletTestKit.AssertLedgerBalancesAsync(gateway);
    }

    [DatabaseFact]
    public async Task A_lease_in_debt_that_the_wallet_cannot_repay_refuses_every_further_hold_and_the_overshoot_is_recorded()
    {
        var (team, wallet) = await WalletAsync("Broke", 0.5m);
        using var node = Node();
        var part = (await node.TryHoldAsync(wallet, 0.1m, CancellationToken.None))!.Value;
        BudgetLeases.Release(part, 0.45m);
        await ChargeAsync(team, wallet.Id, part.LeaseId, 0.45m);

        // 0.4 is still unleased in the wallet, but the lease owes 0.35 first: 0.35 + 0.1 does not fit.
        Assert.Null(await node.TryHoldAsync(wallet, 0.1m, CancellationToken.None));
        Assert.Null(await node.TryHoldAsync(wallet, 0.1m, CancellationToken.None));
        var covered = await node.TryHoldAsync(wallet, 0.05m, CancellationToken.None); // 0.35 + 0.05 = 0.4 fits exactly
        Assert.NotNull(covered);
        BudgetLeases.Release(covered.Value, 0.05m);
        await ChargeAsync(team, wallet.Id, covered.Value.LeaseId, 0.05m);
        await node.MaintainAsync(returnAll: true, CancellationToken.None);

        var after = await WalletTestKit.WalletOfTeamAsync(gateway, team);
        Assert.Equal(0.5m, after.Spent); // the ceiling exactly: the overshoot was repaid out of what was left
        Assert.Equal(0m, after.Leased);
        await using var db = gateway.App.OpenDb();
        var overshoot = Assert.Single(await db.WalletEvents.AsNoTracking().Where(e => e.WalletId == wallet.Id && e.Kind == WalletEventKinds.Overshoot).ToListAsync());
        Assert.Contains(part.LeaseId.ToString("N"), overshoot.Message, StringComparison.Ordinal);
        Assert.Contains("0.35 over", overshoot.Message, StringComparison.Ordinal);
        await WalletTestKit.AssertLedgerBalancesAsync(gateway);
    }

    [DatabaseFact]
    public async Task A_node_frozen_past_its_lease_ttl_with_a_call_in_flight_is_not_swept_so_its_late_charge_overspends_nothing()
    {
        var (team, wallet) = await WalletAsync("Frozen", 1m);
        using var frozen = Node();
        var inFlight = (await frozen.TryHoldAsync(wallet, 0.3m, CancellationToken.None))!.Value;

        // The frozen node stops renewing: its lease expired (in the database's clock) a TTL ago, well inside the grace.
        await using (var db = gateway.App.OpenDb())
            await db.BudgetLeases.Where(l => l.Id == inFlight.LeaseId).ExecuteUpdateAsync(s => s.SetProperty(l => l.ExpiresAt, DateTime.UtcNow - Options.LeaseTtl));
        using var sweeper = Node();
        await sweeper.SweepExpiredAsync(CancellationToken.None);
        Assert.Null((await LeaseAsync(inFlight.LeaseId)).ReturnedAt);

        // Another node takes everything the wallet will give it, and spends it.
        var parts = new List<BudgetLeases.HoldPart>();
        while (await sweeper.TryHoldAsync(wallet, 0.05m, CancellationToken.None) is { } part) parts.Add(part);
        foreach (var part in parts)
        {
            BudgetLeases.Release(part, 0.05m);
            await ChargeAsync(team, wallet.Id, part.LeaseId, 0.05m);
        }
        Assert.Equal(14, parts.Count); // 0.7: all but what the frozen node holds

        // The frozen node wakes: its call finishes and its charge lands on its lease; then it dies for good.
        BudgetLeases.Release(inFlight, 0.3m);
        await ChargeAsync(team, wallet.Id, inFlight.LeaseId, 0.3m);
        await using (var db = gateway.App.OpenDb())
            await WalletTestKit.ExpireBeyondGraceAsync(gateway, db, frozen.Node);
        await sweeper.SweepExpiredAsync(CancellationToken.None);
        await sweeper.MaintainAsync(returnAll: true, CancellationToken.None);

        Assert.True((await LeaseAsync(inFlight.LeaseId)).Swept);
        var after = await WalletTestKit.WalletOfTeamAsync(gateway, team);
        Assert.Equal(1m, after.Spent);
        Assert.Equal(0m, after.Leased);
        await WalletTestKit.AssertLedgerBalancesAsync(gateway);
    }

    [DatabaseFact]
    public async Task A_sweeper_whose_clock_runs_hours_ahead_never_sweeps_a_live_lease()
    {
        var (team, wallet) = await WalletAsync("Skew", 1m);
        using var live = Node(new ManualClock(DateTimeOffset.UtcNow.AddHours(-3))); // its clock hours behind
        var part = (await live.TryHoldAsync(wallet, 0.2m, CancellationToken.None))!.Value;
        var dbNow = await DatabaseNowAsync();
        var lease = await LeaseAsync(part.LeaseId);
        Assert.InRange(lease.ExpiresAt, dbNow, dbNow + Options.LeaseTtl); // stamped in the database's clock, not the node's

        using var ahead = Node(new ManualClock(DateTimeOffset.UtcNow.AddHours(3)));
        await ahead.SweepExpiredAsync(CancellationToken.None);

        Assert.Null((await LeaseAsync(part.LeaseId)).ReturnedAt);
        BudgetLeases.Release(part, 0.1m);
        await ChargeAsync(team, wallet.Id, part.LeaseId, 0.1m);
        await live.MaintainAsync(returnAll: true, CancellationToken.None);
        var after = await WalletTestKit.WalletOfTeamAsync(gateway, team);
        Assert.Equal((0.1m, 0m), (after.Spent, after.Leased));
        await WalletTestKit.AssertLedgerBalancesAsync(gateway);
    }

    [DatabaseFact]
    public async Task A_replaced_lease_is_renewed_until_its_calls_settle_and_then_returned()
    {
        var (team, wallet) = await WalletAsync("Replaced", 1m);
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        using var node = Node(clock);
        var old = (await node.TryHoldAsync(wallet, 0.1m, CancellationToken.None))!.Value;

        // The node misses its renewals (a long pause): its next hold must not trust the old lease and starts a new one.
        clock.Now += Options.LeaseTtl;
        var fresh = (await node.TryHoldAsync(wallet, 0.1m, CancellationToken.None))!.Value;
        Assert.NotEqual(old.LeaseId, fresh.LeaseId);

        // The old lease has a call in flight: maintenance renews it (it was about to expire) rather than return it.
        await using (var db = gateway.App.OpenDb())
            await db.BudgetLeases.Where(l => l.Id == old.LeaseId).ExecuteUpdateAsync(s => s.SetProperty(l => l.ExpiresAt, DateTime.UtcNow - Options.LeaseTtl));
        await node.MaintainAsync(returnAll: false, CancellationToken.None);
        var renewed = await LeaseAsync(old.LeaseId);
        Assert.Null(renewed.ReturnedAt);
        Assert.True(renewed.ExpiresAt > await DatabaseNowAsync(), "the replaced lease was renewed");
        await node.MaintainAsync(returnAll: true, CancellationToken.None); // even at shutdown it stays while its call runs
        Assert.Null((await LeaseAsync(old.LeaseId)).ReturnedAt);

        // Its call settles (for more than it held): at the next tick it is returned, with its overshoot.
        BudgetLeases.Release(old, 0.15m);
        await ChargeAsync(team, wallet.Id, old.LeaseId, 0.15m);
        await node.MaintainAsync(returnAll: false, CancellationToken.None);
        var returned = await LeaseAsync(old.LeaseId);
        Assert.NotNull(returned.ReturnedAt);
        Assert.False(returned.Swept);

        BudgetLeases.Release(fresh, 0.05m);
        await ChargeAsync(team, wallet.Id, fresh.LeaseId, 0.05m);
        await node.MaintainAsync(returnAll: true, CancellationToken.None);
        var after = await WalletTestKit.WalletOfTeamAsync(gateway, team);
        Assert.Equal((0.2m, 0m), (after.Spent, after.Leased));
        await WalletTestKit.AssertLedgerBalancesAsync(gateway);
    }

    [DatabaseFact]
    public async Task Returning_every_lease_waits_for_a_maintenance_tick_that_is_still_returning_one()
    {
        // A tick finds the lease idle and starts returning it; the shutdown's "return everything" comes while that
        // close is still being written (here: held up behind a writer that has the wallet row locked). It must not
        // finish before the lease is back, or the node stops (or a check runs) with the lease's remainder still leased.
        var (team, wallet) = await WalletAsync("Returning", 1m);
        using var node = Node();
        var part = (await node.TryHoldAsync(wallet, 0.1m, CancellationToken.None))!.Value;
        BudgetLeases.Release(part, 0m);

        Task tick, shutdown;
        bool finishedEarly;
        await using (var blocker = gateway.App.OpenDb())
        {
            await using var locked = await blocker.Database.BeginTransactionAsync();
            await Ledger.LockWalletAsync(blocker, wallet.Id, CancellationToken.None);
            // On their own threads: SQLite waits for its write lock synchronously.
            tick = Task.Run(() => node.MaintainAsync(returnAll: true, CancellationToken.None));
            await Task.Delay(500); // the tick has taken the lease out and waits to write its close
            shutdown = Task.Run(() => node.MaintainAsync(returnAll: true, CancellationToken.None));
            finishedEarly = await Task.WhenAny(shutdown, Task.Delay(1000)) == shutdown;
            await locked.RollbackAsync();
        }
        await Task.WhenAll(tick, shutdown);

        Assert.False(finishedEarly, "returning every lease finished while another pass was still returning one");
        var lease = await LeaseAsync(part.LeaseId);
        Assert.NotNull(lease.ReturnedAt);
        Assert.Equal(0m, (await WalletTestKit.WalletOfTeamAsync(gateway, team)).Leased);
        await WalletTestKit.AssertLedgerBalancesAsync(gateway);
    }

    [DatabaseFact]
    public async Task Lowering_a_limit_takes_back_at_the_next_tick_what_leases_hold_beyond_it()
    {
        var (team, wallet) = await WalletAsync("Lowered", 1m);
        using var node = Node();
        var part = (await node.TryHoldAsync(wallet, 0.6m, CancellationToken.None))!.Value;
        BudgetLeases.Release(part, 0.1m); // 0.5 of the lease is free now
        await ChargeAsync(team, wallet.Id, part.LeaseId, 0.1m);

        await gateway.App.WithScopeAsync(async sp =>
        {
            var saved = await sp.GetRequiredService<WalletService>().SaveAsync(WalletTestKit.Finance, WalletOwners.Team, team, new WalletForm { Limit = 0.3m });
            Assert.True(saved.Succeeded, saved.Error);
            return true;
        });
        await node.MaintainAsync(returnAll: false, CancellationToken.None);

        var lowered = await WalletTestKit.WalletOfTeamAsync(gateway, team);
        Assert.Equal(0.1m, lowered.Spent);
        Assert.Equal(0.2m, lowered.Leased); // 0.3 given back: spent + leased is the new limit
        var current = gateway.App.Services.GetRequiredService<WalletBook>().Find(wallet.Id)!;
        Assert.Null(await node.TryHoldAsync(current, 0.25m, CancellationToken.None));
        var fits = (await node.TryHoldAsync(current, 0.2m, CancellationToken.None))!.Value;
        BudgetLeases.Release(fits, 0.2m);
        await ChargeAsync(team, wallet.Id, fits.LeaseId, 0.2m);
        await node.MaintainAsync(returnAll: true, CancellationToken.None);
        var after = await WalletTestKit.WalletOfTeamAsync(gateway, team);
        Assert.Equal((0.3m, 0m), (after.Spent, after.Leased));
        await WalletTestKit.AssertLedgerBalancesAsync(gateway);
    }
}

public sealed class BudgetLeaseSafetyTests_on_Sqlite(SqliteGatewayApp g) : BudgetLeaseSafetyTests<SqliteGatewayApp>(g), IClassFixture<SqliteGatewayApp>;

public sealed class BudgetLeaseSafetyTests_on_Postgres(PostgresGatewayApp g) : BudgetLeaseSafetyTests<PostgresGatewayApp>(g), IClassFixture<PostgresGatewayApp>;

[RequiresSqlServer]
public sealed class BudgetLeaseSafetyTests_on_SqlServer(SqlServerGatewayApp g) : BudgetLeaseSafetyTests<SqlServerGatewayApp>(g), IClassFixture<SqlServerGatewayApp>;
