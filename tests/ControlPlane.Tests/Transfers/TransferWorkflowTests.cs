using System.Net;
using System.Text;
using ControlPlane.Features.Transfers;
using ControlPlane.Features.Wallets;
using ControlPlane.Tests.Gateway.FakeUpstream;
using ControlPlane.Tests.Infrastructure;
using ControlPlane.Tests.Wallets;
using Microsoft.EntityFrameworkCore;
using static ControlPlane.Tests.Transfers.TransferTestKit;

namespace ControlPlane.Tests.Transfers;

/// <summary>
/// The transfer workflow on a real database: who may ask and decide, two approvers above the threshold, the money
/// moving once and only while the source has it, expiry and grants flowing back on an injected clock.
/// </summary>
public abstract class TransferWorkflowTests<TApp>(TApp app) where TApp : TransferApp
{
    protected TApp App => app;

    [DatabaseFact]
    public async Task Approval_moves_the_budget_in_one_balanced_ledger_transaction_and_is_audited()
    {
        var from = await WalletAsync(app, "Giver", 20m);
        var to = await WalletAsync(app, "Taker", 5m);

        var requested = await RequestAsync(app, Fiona, from, to, 7.5m);
        Assert.True(requested.Succeeded, requested.Error);
        Assert.Equal(TransferStates.Pending, requested.Value!.State);
        Assert.Equal(5m, (await ReadAsync(app, to)).Limit); // nothing moves before approval

        var approved = await ApproveAsync(app, Olivia, requested.Value.Id);

        Assert.True(approved.Succeeded, approved.Error);
        Assert.Equal(TransferStates.Approved, approved.Value!.State);
        Assert.Equal(12.5m, (await ReadAsync(app, to)).Limit);
        Assert.Equal(12.5m, (await ReadAsync(app, from)).Limit);
        Assert.Equal(7.5m, await BudgetMovedAsync(app, to));
        Assert.Equal(-7.5m, await BudgetMovedAsync(app, from));
        await WalletTestKit.AssertLedgerBalancesAsync(app);
        Assert.Equal(1, await AuditCountAsync(app, requested.Value.Id, "transfer.requested"));
        Assert.Equal(1, await AuditCountAsync(app, requested.Value.Id, "transfer.approved"));
    }

    [DatabaseFact]
    public async Task Transfer_over_threshold_needs_two_different_approvers()
    {
        var to = await WalletAsync(app, "Big", 10m);
        var led = await LedWalletAsync(app, "Led", 10m);
        var requested = await RequestAsync(app, Leo, null, led, TransferApp.TwoApproverAbove + 10m);
        Assert.True(requested.Succeeded, requested.Error);
        Assert.Equal(2, requested.Value!.ApprovalsNeeded);
        var small = await RequestAsync(app, Fiona, null, to, TransferApp.TwoApproverAbove);
        Assert.Equal(1, small.Value!.ApprovalsNeeded);

        var first = await ApproveAsync(app, Fiona, requested.Value.Id);
        Assert.True(first.Succeeded, first.Error);
        Assert.Equal(TransferStates.Pending, first.Value!.State);
        var again = await ApproveAsync(app, Fiona, requested.Value.Id);
        Assert.False(again.Succeeded);
        Assert.Contains("second, different approver", again.Error, StringComparison.Ordinal);
        Assert.Equal(10m, (await ReadAsync(app, led)).Limit);

        var second = await ApproveAsync(app, Olivia, requested.Value.Id);

        Assert.True(second.Succeeded, second.Error);
        Assert.Equal(TransferStates.Approved, second.Value!.State);
        Assert.Equal(10m + TransferApp.TwoApproverAbove + 10m, (await ReadAsync(app, led)).Limit);
        var stored = await TransferAsync(app, requested.Value.Id);
        Assert.Equal([Fiona, Olivia], stored.Decisions.OrderBy(d => d.At).Select(d => d.Approver));
    }

    [DatabaseFact]
    public async Task The_requester_never_approves_their_own_request()
    {
        var to = await WalletAsync(app, "Own", 5m);
        var requested = await RequestAsync(app, Fiona, null, to, 3m);

        var own = await ApproveAsync(app, Fiona, requested.Value!.Id);
        var ownReject = await RejectAsync(app, Fiona, requested.Value.Id);

        Assert.False(own.Succeeded);
        Assert.Contains("someone else", own.Error, StringComparison.Ordinal);
        Assert.False(ownReject.Succeeded);
        Assert.Equal(TransferStates.Pending, (await TransferAsync(app, requested.Value.Id)).State);
        Assert.Equal(5m, (await ReadAsync(app, to)).Limit);
    }

    [DatabaseFact]
    public async Task Roles_that_may_not_ask_or_decide_are_refused()
    {
        var platform = await PlatformWalletAsync();
        var other = await WalletAsync(app, "Elsewhere", 5m);
        foreach (var refused in new[] { Mia, Adam, Aria, Rita })
            Assert.False((await RequestAsync(app, refused, null, platform, 1m)).Succeeded, $"{refused} could request for Platform");
        Assert.False((await RequestAsync(app, Leo, null, other, 1m)).Succeeded, "a lead could request for a team they do not lead");
        Assert.False((await RequestAsync(app, Leo, other, platform, 1m)).Succeeded, "a lead could take from a team they do not lead");

        var byLead = await RequestAsync(app, Leo, null, platform, 1m);
        Assert.True(byLead.Succeeded, byLead.Error);
        foreach (var refused in new[] { Leo, Mia, Adam, Aria, Rita })
        {
            Assert.False((await ApproveAsync(app, refused, byLead.Value!.Id)).Succeeded, $"{refused} could approve");
            Assert.False((await RejectAsync(app, refused, byLead.Value.Id)).Succeeded, $"{refused} could reject");
        }
        Assert.Equal(TransferStates.Pending, (await TransferAsync(app, byLead.Value!.Id)).State);
    }

    [DatabaseFact]
    public async Task A_rejection_needs_a_comment_and_moves_nothing()
    {
        var to = await WalletAsync(app, "Rejected", 5m);
        var requested = await RequestAsync(app, Fiona, null, to, 2m);
        Assert.False((await RejectAsync(app, Olivia, requested.Value!.Id, comment: " ")).Succeeded);

        var rejected = await RejectAsync(app, Olivia, requested.Value.Id, "not this month");

        Assert.True(rejected.Succeeded, rejected.Error);
        Assert.Equal(TransferStates.Rejected, (await TransferAsync(app, requested.Value.Id)).State);
        Assert.Equal("not this month", (await TransferAsync(app, requested.Value.Id)).Decisions.Single().Comment);
        Assert.False((await ApproveAsync(app, Fiona, requested.Value.Id)).Succeeded);
        Assert.Equal(5m, (await ReadAsync(app, to)).Limit);
        Assert.Equal(1, await AuditCountAsync(app, requested.Value.Id, "transfer.rejected"));
    }

    [DatabaseFact]
    public async Task An_insufficient_source_moves_nothing_and_the_request_stays_pending()
    {
        var from = await WalletAsync(app, "Poor", 1m);
        var to = await WalletAsync(app, "Hopeful", 1m);
        var requested = await RequestAsync(app, Fiona, from, to, 5m);

        var approved = await ApproveAsync(app, Olivia, requested.Value!.Id);

        Assert.False(approved.Succeeded);
        Assert.Contains("has only 1", approved.Error, StringComparison.Ordinal);
        Assert.Equal(TransferStates.Pending, (await TransferAsync(app, requested.Value.Id)).State);
        Assert.Empty((await TransferAsync(app, requested.Value.Id)).Decisions);
        Assert.Equal(1m, (await ReadAsync(app, from)).Limit);
        Assert.Equal(1m, (await ReadAsync(app, to)).Limit);
        Assert.Equal(0m, await BudgetMovedAsync(app, to));
    }

    [DatabaseFact]
    public async Task Pending_requests_expire_after_the_configured_time()
    {
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        var to = await WalletAsync(app, "Waiting", 5m);
        var requested = await RequestAsync(app, Fiona, null, to, 2m, clock: clock);
        Assert.Equal(requested.Value!.RequestedAt.AddHours(48), requested.Value.PendingUntil);

        clock.Now = clock.Now.AddHours(47);
        await Sweeper(app, clock).ExpirePendingAsync(); // may expire other requests (the demo's), not this one yet
        Assert.Equal(TransferStates.Pending, (await TransferAsync(app, requested.Value.Id)).State);
        clock.Now = clock.Now.AddHours(2);
        var late = await ApproveAsync(app, Olivia, requested.Value.Id, clock);
        Assert.False(late.Succeeded);
        Assert.Contains("expired", late.Error, StringComparison.Ordinal);

        var sweeps = await Task.WhenAll(Sweeper(app, clock).ExpirePendingAsync(), Sweeper(app, clock).ExpirePendingAsync());

        Assert.Equal(TransferStates.Expired, (await TransferAsync(app, requested.Value.Id)).State);
        Assert.True(sweeps.Sum() >= 1);
        Assert.Equal(1, await AuditCountAsync(app, requested.Value.Id, "transfer.expired")); // two sweepers, one expiry
        Assert.Equal(5m, (await ReadAsync(app, to)).Limit);
    }

    [DatabaseFact]
    public async Task A_granted_budget_flows_back_at_its_expiry_less_what_was_spent()
    {
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        var from = await WalletAsync(app, "Lender", 20m);
        var to = await WalletAsync(app, "Borrower", 5m);
        var requested = await RequestAsync(app, Fiona, from, to, 10m, grantExpiresAt: clock.Now.UtcDateTime.AddDays(7), clock: clock);
        Assert.True((await ApproveAsync(app, Olivia, requested.Value!.Id, clock)).Succeeded);
        Assert.Equal(15m, (await ReadAsync(app, to)).Limit);
        // The borrower spends 12 of its 15: only 3 of the 10 granted are left to flow back.
        await using (var db = Db(app))
        {
            await db.Wallets.Where(w => w.Id == to).ExecuteUpdateAsync(s => s.SetProperty(w => w.Spent, 12m));
            Ledger.AddTransfer(db, clock.Now.UtcDateTime, LedgerKinds.Charge, to, LedgerAccounts.Spent, null, LedgerAccounts.Budget, 12m);
            await db.SaveChangesAsync();
        }

        clock.Now = clock.Now.AddDays(6);
        Assert.Equal(0, await Sweeper(app, clock).ReturnGrantsAsync());
        clock.Now = clock.Now.AddDays(2);
        var sweeps = await Task.WhenAll(Sweeper(app, clock).ReturnGrantsAsync(), Sweeper(app, clock).ReturnGrantsAsync());

        Assert.True(sweeps.Sum() >= 1);
        var returned = await TransferAsync(app, requested.Value.Id);
        Assert.Equal(TransferStates.Returned, returned.State);
        Assert.Equal(3m, returned.ReturnedAmount);
        Assert.Equal(12m, (await ReadAsync(app, to)).Limit);
        Assert.Equal(13m, (await ReadAsync(app, from)).Limit);
        Assert.Equal(7m, await BudgetMovedAsync(app, to));
        Assert.Equal(-7m, await BudgetMovedAsync(app, from));
        Assert.Equal(1, await AuditCountAsync(app, requested.Value.Id, "transfer.returned"));
    }

    [DatabaseFact]
    public async Task A_top_up_from_unallocated_budget_is_limited_by_what_the_organisation_has_not_allocated()
    {
        var platform = await PlatformWalletAsync();
        var before = (await ReadAsync(app, platform)).Limit;
        var requested = await RequestAsync(app, Leo, null, platform, 900m); // the demo organisation has 500 in all

        var first = await ApproveAsync(app, Fiona, requested.Value!.Id);
        var second = await ApproveAsync(app, Olivia, requested.Value.Id);

        Assert.True(first.Succeeded, first.Error);
        Assert.False(second.Succeeded);
        Assert.Contains("unallocated budget", second.Error, StringComparison.Ordinal);
        Assert.Equal(TransferStates.Pending, (await TransferAsync(app, requested.Value.Id)).State);
        Assert.Equal(before, (await ReadAsync(app, platform)).Limit);
    }

    protected async Task<Guid> PlatformWalletAsync()
    {
        await using var db = Db(app);
        var platform = await db.Teams.Where(t => t.Name == "Platform").Select(t => t.Id).SingleAsync();
        return await db.Wallets.Where(w => w.OwnerId == platform).Select(w => w.Id).SingleAsync();
    }
}

public sealed class TransferWorkflowTests_on_Sqlite(SqliteTransferApp g) : TransferWorkflowTests<SqliteTransferApp>(g), IClassFixture<SqliteTransferApp>;

public sealed class TransferWorkflowTests_on_Postgres(PostgresTransferApp g) : TransferWorkflowTests<PostgresTransferApp>(g), IClassFixture<PostgresTransferApp>
{
    private static readonly FakeReply Reply = new() { Text = "fine", Chunks = 2, Usage = new(10, 0, 100) };
    private const string Body = """{"model":"gpt","stream":true,"max_tokens":200,"messages":[{"role":"user","content":"go"}]}""";

    [DatabaseFact]
    public async Task Concurrent_approvals_produce_one_approval_and_one_move()
    {
        var to = await WalletAsync(App, "Racing", 5m);
        var led = await LedWalletAsync(App, "LedRace", 2m);
        var requested = await RequestAsync(App, Leo, null, led, 4m);
        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var racers = new[] { Fiona, Olivia, Fiona, Olivia }.Select(async who =>
        {
            await go.Task;
            return await Task.Run(() => ApproveAsync(App, who, requested.Value!.Id));
        }).ToArray();
        go.SetResult();
        var outcomes = await Task.WhenAll(racers);

        Assert.Equal(1, outcomes.Count(o => o.Succeeded));
        Assert.All(outcomes.Where(o => !o.Succeeded), o => Assert.Contains("already approved", o.Error, StringComparison.Ordinal));
        var stored = await TransferAsync(App, requested.Value!.Id);
        Assert.Equal(TransferStates.Approved, stored.State);
        Assert.Single(stored.Decisions);
        Assert.Equal(6m, (await ReadAsync(App, led)).Limit);
        Assert.Equal(5m, (await ReadAsync(App, to)).Limit);
        await WalletTestKit.AssertLedgerBalancesAsync(App);
    }

    [DatabaseFact]
    public async Task Two_different_approvers_at_once_above_the_threshold_make_one_move()
    {
        var to = await WalletAsync(App, "TwoAtOnce", 5m);
        var led = await LedWalletAsync(App, "LedTwo", 2m);
        var requested = await RequestAsync(App, Leo, null, led, TransferApp.TwoApproverAbove + 1m);

        var outcomes = await Task.WhenAll(Task.Run(() => ApproveAsync(App, Fiona, requested.Value!.Id)), Task.Run(() => ApproveAsync(App, Olivia, requested.Value!.Id)));

        Assert.All(outcomes, o => Assert.True(o.Succeeded, o.Error));
        var stored = await TransferAsync(App, requested.Value!.Id);
        Assert.Equal(TransferStates.Approved, stored.State);
        Assert.Equal(2, stored.Decisions.Count);
        Assert.Equal(2m + TransferApp.TwoApproverAbove + 1m, (await ReadAsync(App, led)).Limit);
        Assert.Equal(5m, (await ReadAsync(App, to)).Limit);
    }

    [DatabaseFact]
    public async Task An_approval_racing_the_sources_spend_never_overdraws_it()
    {
        App.Upstream.Always(Reply);
        const decimal limit = 0.05m; // about 48 calls of 0.001025
        var teamName = $"Spender-{Guid.NewGuid():N}"[..20];
        var team = await WalletTestKit.TeamWithBudgetAsync(App, teamName, limit);
        var source = (await WalletTestKit.WalletOfTeamAsync(App, team)).Id;
        var to = await WalletAsync(App, "Receiver", 1m);
        var key = await App.CreateKeyAsync(teamName);
        var requested = await RequestAsync(App, Fiona, source, to, 0.02m);

        using var client = App.Client(key);
        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var calls = Enumerable.Range(0, 150).Select(async _ =>
        {
            await go.Task;
            using var response = await client.PostAsync("/v1/chat/completions", new StringContent(Body, Encoding.UTF8, "application/json"));
            await response.Content.ReadAsStringAsync();
            return response.StatusCode;
        }).ToArray();
        var approval = Task.Run(async () =>
        {
            await go.Task;
            return await ApproveAsync(App, Olivia, requested.Value!.Id);
        });
        go.SetResult();
        var statuses = await Task.WhenAll(calls);
        var approved = await approval;

        Assert.All(statuses, s => Assert.True(s is HttpStatusCode.OK or HttpStatusCode.PaymentRequired, $"unexpected {s}"));
        await WalletTestKit.WaitForRowsAsync(App, team, 150);
        await WalletTestKit.ReturnLeasesAsync(App.App);
        var after = await ReadAsync(App, source);
        var expectedLimit = approved.Succeeded ? limit - 0.02m : limit;
        Assert.Equal(expectedLimit, after.Limit);
        Assert.True(after.Spent <= after.Limit, $"spent {after.Spent} over the limit {after.Limit} (transfer {(approved.Succeeded ? "approved" : approved.Error)})");
        Assert.Equal(0m, after.Leased);
        Assert.Equal(approved.Succeeded ? 1.02m : 1m, (await ReadAsync(App, to)).Limit);
        Assert.Equal(statuses.Count(s => s == HttpStatusCode.OK) * 0.001025m, after.Spent);
        await WalletTestKit.AssertLedgerBalancesAsync(App);
    }
}
