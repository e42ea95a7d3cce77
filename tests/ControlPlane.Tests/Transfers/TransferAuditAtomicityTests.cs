using ControlPlane.Features.Audit;
using ControlPlane.Features.Transfers;
using ControlPlane.Features.Wallets;
using ControlPlane.Tests.Infrastructure;
using ControlPlane.Tests.Wallets;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using static ControlPlane.Tests.Transfers.TransferTestKit;

namespace ControlPlane.Tests.Transfers;

/// <summary>
/// A transfer decision, the money it moves and its audit entry are one transaction: when the audit append fails
/// after the money step (a trigger on the audit table refuses that transfer's entry), nothing of it stays.
/// </summary>
public abstract class TransferAuditAtomicityTests<TApp>(TApp app) where TApp : TransferApp
{
    protected TApp App => app;

    [DatabaseFact]
    public async Task A_failed_audit_append_after_the_approval_rolls_back_the_money_and_the_decision()
    {
        var from = await WalletAsync(app, "AtomGive", 20m);
        var to = await WalletAsync(app, "AtomTake", 5m);
        var requested = await RequestAsync(app, Fiona, from, to, 10m);
        Assert.True(requested.Succeeded, requested.Error);

        await using (await RefuseAuditAsync($"transfer:{requested.Value!.Id}", "transfer.approved"))
            await Assert.ThrowsAnyAsync<Exception>(() => ApproveAsync(app, Olivia, requested.Value.Id));

        var stored = await TransferAsync(app, requested.Value.Id);
        Assert.Equal(TransferStates.Pending, stored.State);
        Assert.Empty(stored.Decisions);
        Assert.Equal(20m, (await ReadAsync(app, from)).Limit);
        Assert.Equal(5m, (await ReadAsync(app, to)).Limit);
        Assert.Equal(0m, await BudgetMovedAsync(app, to));
        Assert.Equal(0, await AuditCountAsync(app, requested.Value.Id, "transfer.approved"));

        // With the audit table accepting again the same approval goes through, once, with its entry.
        var approved = await ApproveAsync(app, Olivia, requested.Value.Id);
        Assert.True(approved.Succeeded, approved.Error);
        Assert.Equal(15m, (await ReadAsync(app, to)).Limit);
        Assert.Equal(1, await AuditCountAsync(app, requested.Value.Id, "transfer.approved"));
        await WalletTestKit.AssertLedgerBalancesAsync(app);
    }

    [DatabaseFact]
    public async Task A_failed_audit_append_after_a_grant_flows_back_leaves_the_grant_in_place()
    {
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        var from = await WalletAsync(app, "AtomLend", 20m);
        var to = await WalletAsync(app, "AtomBorrow", 5m);
        var requested = await RequestAsync(app, Fiona, from, to, 10m, grantExpiresAt: clock.Now.UtcDateTime.AddDays(1), clock: clock);
        Assert.True((await ApproveAsync(app, Olivia, requested.Value!.Id, clock)).Succeeded);
        clock.Now = clock.Now.AddDays(2);

        await using (await RefuseAuditAsync($"transfer:{requested.Value.Id}", "transfer.returned"))
            await Assert.ThrowsAnyAsync<Exception>(() => Sweeper(app, clock).ReturnGrantsAsync());

        Assert.Equal(TransferStates.Approved, (await TransferAsync(app, requested.Value.Id)).State);
        Assert.Equal(15m, (await ReadAsync(app, to)).Limit);
        Assert.Equal(10m, (await ReadAsync(app, from)).Limit);
        Assert.Equal(10m, await BudgetMovedAsync(app, to));

        Assert.Equal(1, await Sweeper(app, clock).ReturnGrantsAsync());
        Assert.Equal(5m, (await ReadAsync(app, to)).Limit);
        Assert.Equal(20m, (await ReadAsync(app, from)).Limit);
        Assert.Equal(1, await AuditCountAsync(app, requested.Value.Id, "transfer.returned"));
        await WalletTestKit.AssertLedgerBalancesAsync(app);
    }

    [DatabaseFact]
    public async Task A_failed_audit_append_leaves_an_undecided_request_pending()
    {
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        var to = await WalletAsync(app, "AtomExpire", 5m);
        var requested = await RequestAsync(app, Fiona, null, to, 1m, clock: clock);
        clock.Now = clock.Now.AddDays(3);

        await using (await RefuseAuditAsync($"transfer:{requested.Value!.Id}", "transfer.expired"))
            await Assert.ThrowsAnyAsync<Exception>(() => Sweeper(app, clock).ExpirePendingAsync());

        Assert.Equal(TransferStates.Pending, (await TransferAsync(app, requested.Value.Id)).State);
        Assert.True(await Sweeper(app, clock).ExpirePendingAsync() >= 1);
        Assert.Equal(TransferStates.Expired, (await TransferAsync(app, requested.Value.Id)).State);
        Assert.Equal(1, await AuditCountAsync(app, requested.Value.Id, "transfer.expired"));
    }

    [DatabaseFact]
    public async Task A_grant_already_spent_flows_nothing_back_and_a_second_sweep_moves_nothing()
    {
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        var from = await WalletAsync(app, "SpentLend", 20m);
        var to = await WalletAsync(app, "SpentBorrow", 5m);
        var requested = await RequestAsync(app, Fiona, from, to, 10m, grantExpiresAt: clock.Now.UtcDateTime.AddDays(1), clock: clock);
        Assert.True((await ApproveAsync(app, Olivia, requested.Value!.Id, clock)).Succeeded);
        await using (var db = Db(app))
        {
            // The borrower spends all of its 15.
            await db.Wallets.Where(w => w.Id == to).ExecuteUpdateAsync(s => s.SetProperty(w => w.Spent, 15m));
            Ledger.AddTransfer(db, clock.Now.UtcDateTime, LedgerKinds.Charge, to, LedgerAccounts.Spent, null, LedgerAccounts.Budget, 15m);
            await db.SaveChangesAsync();
        }
        clock.Now = clock.Now.AddDays(2);

        Assert.Equal(1, await Sweeper(app, clock).ReturnGrantsAsync());
        Assert.Equal(0, await Sweeper(app, clock).ReturnGrantsAsync());

        var returned = await TransferAsync(app, requested.Value.Id);
        Assert.Equal(TransferStates.Returned, returned.State);
        Assert.Equal(0m, returned.ReturnedAmount);
        Assert.Equal(15m, (await ReadAsync(app, to)).Limit);
        Assert.Equal(10m, (await ReadAsync(app, from)).Limit);
        Assert.Equal(10m, await BudgetMovedAsync(app, to)); // no return legs at all
        Assert.Equal(-10m, await BudgetMovedAsync(app, from));
        await WalletTestKit.AssertLedgerBalancesAsync(app);
    }

    [DatabaseFact]
    public async Task Returning_a_grant_directly_gives_back_only_what_is_free_and_then_nothing()
    {
        var from = await WalletAsync(app, "DirectLend", 20m);
        var to = await WalletAsync(app, "DirectBorrow", 5m);
        var requested = await RequestAsync(app, Fiona, from, to, 10m);
        Assert.True((await ApproveAsync(app, Olivia, requested.Value!.Id)).Succeeded);
        await using (var db = Db(app))
        {
            await db.Wallets.Where(w => w.Id == to).ExecuteUpdateAsync(s => s.SetProperty(w => w.Spent, 11m));
            Ledger.AddTransfer(db, DateTime.UtcNow, LedgerKinds.Charge, to, LedgerAccounts.Spent, null, LedgerAccounts.Budget, 11m);
            await db.SaveChangesAsync();
        }

        var first = await ReturnAsync(to, from, 10m);
        var second = await ReturnAsync(to, from, 10m);

        Assert.Equal(4m, first);   // 15 less 11 spent
        Assert.Equal(0m, second);  // nothing free any more: no row, no legs
        Assert.Equal(11m, (await ReadAsync(app, to)).Limit);
        Assert.Equal(14m, (await ReadAsync(app, from)).Limit);
        Assert.Equal(6m, await BudgetMovedAsync(app, to));
        await WalletTestKit.AssertLedgerBalancesAsync(app);
    }

    private async Task<decimal> ReturnAsync(Guid grantee, Guid source, decimal amount)
    {
        await using var db = Db(app);
        await using var transaction = await db.Database.BeginTransactionAsync();
        var back = await BudgetMove.ReturnAsync(db, grantee, source, amount, DateTime.UtcNow, "test return", CancellationToken.None);
        await db.SaveChangesAsync();
        await transaction.CommitAsync();
        return back;
    }

    /// <summary>A trigger that refuses the audit entry of <paramref name="action"/> on <paramref name="target"/>; dropped when disposed.</summary>
    private async Task<IAsyncDisposable> RefuseAuditAsync(string target, string action)
    {
        var name = $"refuse_{Guid.NewGuid():N}";
        await using var db = Db(app);
        // target and action are ours (a GUID and a constant): no quoting concerns.
        if (db.Database.IsNpgsql())
        {
            var create = $"""
                CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN IF NEW.target = '{target}' AND NEW.action = '{action}' THEN RAISE EXCEPTION 'audit refused by the test'; END IF; RETURN NEW; END $$;
                CREATE TRIGGER {name} BEFORE INSERT ON audit_entries FOR EACH ROW EXECUTE FUNCTION {name}();
                """;
            await db.Database.ExecuteSqlRawAsync(create);
            return new Drop(app, $"DROP TRIGGER {name} ON audit_entries; DROP FUNCTION {name}();");
        }
        var trigger = $"""
            CREATE TRIGGER {name} BEFORE INSERT ON audit_entries WHEN NEW.target = '{target}' AND NEW.action = '{action}'
            BEGIN SELECT RAISE(ABORT, 'audit refused by the test'); END;
            """;
        await db.Database.ExecuteSqlRawAsync(trigger);
        return new Drop(app, $"DROP TRIGGER {name};");
    }

    private sealed class Drop(TApp app, string sql) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await using var db = Db(app);
            await db.Database.ExecuteSqlRawAsync(sql);
        }
    }
}

public sealed class TransferAuditAtomicityTests_on_Sqlite(SqliteTransferApp g) : TransferAuditAtomicityTests<SqliteTransferApp>(g), IClassFixture<SqliteTransferApp>;

public sealed class TransferAuditAtomicityTests_on_Postgres(PostgresTransferApp g) : TransferAuditAtomicityTests<PostgresTransferApp>(g), IClassFixture<PostgresTransferApp>
{
    /// <summary>
    /// Approvals in both directions between two wallets, top-ups from the organisation's pool, new requests, wallet
    /// edits and grants flowing back, all at once: every path takes the chain lock before any wallet row, so PostgreSQL
    /// never has to break a deadlock (it would fail one of them), the chain stays whole and the ledger balances.
    /// </summary>
    [DatabaseFact]
    public async Task Concurrent_approvals_and_other_audited_actions_do_not_deadlock()
    {
        var a = await WalletAsync(App, "LockA", 10m);
        var b = await WalletAsync(App, "LockB", 10m);
        var pooled = await WalletAsync(App, "LockPool", 1m);
        var edited = await WalletTestKit.TeamWithBudgetAsync(App, $"LockEdit-{Guid.NewGuid():N}"[..20], 10m);
        var requests = new List<Guid>();
        for (var i = 0; i < 6; i++)
        {
            var (from, to) = i % 2 == 0 ? (a, b) : (b, a);
            var r = await RequestAsync(App, Fiona, from, to, 1m);
            Assert.True(r.Succeeded, r.Error);
            requests.Add(r.Value!.Id);
        }
        for (var i = 0; i < 3; i++)
        {
            var r = await RequestAsync(App, Fiona, null, pooled, 0.01m);
            Assert.True(r.Succeeded, r.Error);
            requests.Add(r.Value!.Id);
        }

        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var approvals = requests.Select(id => Task.Run(async () => { await go.Task; return await ApproveAsync(App, Olivia, id); })).ToArray();
        var asks = Enumerable.Range(0, 4).Select(_ => Task.Run(async () => { await go.Task; return await RequestAsync(App, Fiona, a, b, 0.5m); })).ToArray();
        var edits = Enumerable.Range(0, 4).Select(i => Task.Run(async () =>
        {
            await go.Task;
            await using var scope = App.App.Services.CreateAsyncScope();
            return await scope.ServiceProvider.GetRequiredService<WalletService>().SaveAsync(WalletTestKit.Finance, WalletOwners.Team, edited,
                new WalletForm { Limit = 10m + i, Thresholds = "80,95" });
        })).ToArray();
        go.SetResult();

        var decided = await Task.WhenAll(approvals);
        var asked = await Task.WhenAll(asks);
        var saved = await Task.WhenAll(edits);

        Assert.All(decided, o => Assert.True(o.Succeeded, o.Error));
        Assert.All(asked, o => Assert.True(o.Succeeded, o.Error));
        Assert.All(saved, o => Assert.True(o.Succeeded, o.Error));
        Assert.Equal(10m, (await ReadAsync(App, a)).Limit); // three each way
        Assert.Equal(10m, (await ReadAsync(App, b)).Limit);
        Assert.Equal(1.03m, (await ReadAsync(App, pooled)).Limit);
        foreach (var id in requests) Assert.Equal(1, await AuditCountAsync(App, id, "transfer.approved"));
        await WalletTestKit.AssertLedgerBalancesAsync(App);
        await using var db = Db(App);
        var verdict = await App.App.Services.GetRequiredService<AuditLog>().VerifyAsync(db, [], CancellationToken.None);
        Assert.True(verdict.IsIntact, verdict.Problem);
    }
}
