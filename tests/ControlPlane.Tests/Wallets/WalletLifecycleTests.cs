using System.Net;
using System.Text;
using ControlPlane.Features.Wallets;
using ControlPlane.Tests.Gateway;
using ControlPlane.Tests.Gateway.FakeUpstream;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Tests.Wallets;

/// <summary>Leases of dead nodes come back; periods roll over with history kept; thresholds are raised once.</summary>
public abstract class WalletLifecycleTests<TApp>(TApp gateway) : IDisposable where TApp : GatewayApp
{
    public void Dispose()
    {
        gateway.Upstream.Reset();
        GC.SuppressFinalize(this);
    }

    private sealed class ManualClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }

    private async Task<string> TeamNameAsync(Guid teamId)
    {
        await using var db = gateway.App.OpenDb();
        return await db.Teams.Where(t => t.Id == teamId).Select(t => t.Name).SingleAsync();
    }

    private async Task<HttpResponseMessage> CallAsync(string key, string body = """{"model":"gpt","max_tokens":100,"messages":[{"role":"user","content":"go"}]}""")
    {
        using var client = gateway.Client(key);
        var response = await client.PostAsync("/v1/chat/completions", new StringContent(body, Encoding.UTF8, "application/json"));
        await gateway.CallAsync(response.Headers.GetValues("X-Request-Id").Single());
        return response;
    }

    [Fact]
    public async Task A_node_that_stops_without_returning_its_lease_gives_the_budget_back_when_it_expires()
    {
        var team = await WalletTestKit.TeamWithBudgetAsync(gateway, $"Crash-{Guid.NewGuid():N}"[..20], 1m);
        var wallet = await WalletTestKit.WalletOfTeamAsync(gateway, team);
        var book = gateway.App.Services.GetRequiredService<WalletBook>();
        await book.ReloadAsync();

        // Another node takes a lease and dies: it never renews or returns it.
        var doomed = ActivatorUtilities.CreateInstance<BudgetLeases>(gateway.App.Services);
        Assert.NotNull(await doomed.TryHoldAsync(book.Find(wallet.Id)!, 0.3m, CancellationToken.None));
        var leased = (await WalletTestKit.WalletOfTeamAsync(gateway, team)).Leased;
        Assert.True(leased >= 0.3m);

        await using (var db = gateway.App.OpenDb())
            await WalletTestKit.ExpireBeyondGraceAsync(gateway, db, doomed.Node);
        // The app's own maintenance may sweep it first: either way it is swept exactly once.
        await gateway.App.Services.GetRequiredService<BudgetLeases>().SweepExpiredAsync(CancellationToken.None);

        var after = await WalletTestKit.WalletOfTeamAsync(gateway, team);
        Assert.Equal(0m, after.Leased);
        await using (var db = gateway.App.OpenDb())
        {
            var lease = await db.BudgetLeases.AsNoTracking().SingleAsync(l => l.Node == doomed.Node);
            Assert.True(lease.Swept);
            Assert.NotNull(lease.ReturnedAt);
            Assert.Equal(-leased, await db.LedgerEntries.Where(e => e.LeaseId == lease.Id && e.Kind == LedgerKinds.Release && e.WalletId == wallet.Id).SumAsync(e => e.Amount));
        }
        await WalletTestKit.AssertLedgerBalancesAsync(gateway);
        doomed.Dispose();
    }

    [Fact]
    public async Task A_charge_that_lands_after_its_lease_was_swept_keeps_the_ledger_balanced()
    {
        var team = await WalletTestKit.TeamWithBudgetAsync(gateway, $"Late-{Guid.NewGuid():N}"[..20], 1m);
        var wallet = await WalletTestKit.WalletOfTeamAsync(gateway, team);
        var book = gateway.App.Services.GetRequiredService<WalletBook>();
        await book.ReloadAsync();
        var doomed = ActivatorUtilities.CreateInstance<BudgetLeases>(gateway.App.Services);
        var part = await doomed.TryHoldAsync(book.Find(wallet.Id)!, 0.2m, CancellationToken.None);
        Assert.NotNull(part);
        await using (var db = gateway.App.OpenDb())
            await WalletTestKit.ExpireBeyondGraceAsync(gateway, db, doomed.Node);
        await gateway.App.Services.GetRequiredService<BudgetLeases>().SweepExpiredAsync(CancellationToken.None);

        // The call that held on the swept lease finishes now and its charge arrives.
        var record = new ControlPlane.Features.Metering.CallRecord { Id = Guid.CreateVersion7(), At = DateTime.UtcNow, Endpoint = "chat", TeamId = team, Status = 200, Cost = 0.05m };
        await gateway.App.Services.GetRequiredService<ControlPlane.Features.Metering.CallLog>().RecordAsync(
            new ControlPlane.Features.Metering.MeteredCall(record, Charges: [new(wallet.Id, part.Value.LeaseId, 0.05m)]));
        await gateway.CallAsync($"req_{record.Id:N}");

        var after = await WalletTestKit.WalletOfTeamAsync(gateway, team);
        Assert.Equal(0.05m, after.Spent);
        Assert.Equal(0m, after.Leased);
        await WalletTestKit.AssertLedgerBalancesAsync(gateway);
        doomed.Dispose();
    }

    [Fact]
    public async Task A_call_that_costs_more_than_its_hold_still_leaves_nothing_leased()
    {
        // max_tokens 10 is held, but the provider reports 5,000 output tokens.
        gateway.Upstream.Always(new FakeReply { Text = "long", Usage = new(10, 0, 5000) });
        var team = await WalletTestKit.TeamWithBudgetAsync(gateway, $"Over-{Guid.NewGuid():N}"[..20], 1m);
        var key = await gateway.CreateKeyAsync(await TeamNameAsync(team));

        Assert.Equal(HttpStatusCode.OK, (await CallAsync(key, """{"model":"gpt","max_tokens":10,"messages":[{"role":"user","content":"go"}]}""")).StatusCode);
        await WalletTestKit.ReturnLeasesAsync(gateway.App);

        var wallet = await WalletTestKit.WalletOfTeamAsync(gateway, team);
        Assert.Equal(GatewayApp.ExpectedCost(10, 0, 5000), wallet.Spent);
        Assert.Equal(0m, wallet.Leased);
        await WalletTestKit.AssertLedgerBalancesAsync(gateway);
    }

    [Fact]
    public async Task A_new_period_resets_spend_and_keeps_the_history()
    {
        gateway.Upstream.Always(new FakeReply { Text = "ok", Usage = new(100, 0, 100) });
        var team = await WalletTestKit.TeamWithBudgetAsync(gateway, $"Period-{Guid.NewGuid():N}"[..20], 5m);
        var key = await gateway.CreateKeyAsync(await TeamNameAsync(team));
        Assert.Equal(HttpStatusCode.OK, (await CallAsync(key)).StatusCode);
        await WalletTestKit.ReturnLeasesAsync(gateway.App);
        var before = await WalletTestKit.WalletOfTeamAsync(gateway, team);
        Assert.Equal(GatewayApp.ExpectedCost(100, 0, 100), before.Spent);

        var nextMonth = new DateTimeOffset(before.PeriodStart.AddMonths(1).AddHours(1), TimeSpan.Zero);
        var maintenance = ActivatorUtilities.CreateInstance<WalletPeriodReset>(gateway.App.Services, new ManualClock(nextMonth));
        Assert.True(await maintenance.RollOverAsync() >= 1);

        var after = await WalletTestKit.WalletOfTeamAsync(gateway, team);
        Assert.Equal(0m, after.Spent);
        Assert.Equal(before.PeriodStart.AddMonths(1), after.PeriodStart);
        await using var db = gateway.App.OpenDb();
        var reset = await db.LedgerEntries.AsNoTracking().Where(e => e.WalletId == after.Id && e.Kind == LedgerKinds.Reset).ToListAsync();
        Assert.Equal(-before.Spent, Assert.Single(reset).Amount);
        Assert.True(await db.Calls.AnyAsync(c => c.TeamId == team && c.Cost > 0), "history stays: the call rows are kept");
        Assert.True(await db.LedgerEntries.AnyAsync(e => e.WalletId == after.Id && e.Kind == LedgerKinds.Charge), "history stays: the charges are kept");
        await WalletTestKit.AssertLedgerBalancesAsync(gateway);
        Assert.Equal(0, await maintenance.RollOverAsync()); // once per period
    }

    [Fact]
    public async Task A_wallet_that_downgrades_sends_calls_to_the_cheaper_alias_once_its_money_is_gone()
    {
        gateway.Upstream.Always(new FakeReply { Text = "cheap answer", Usage = new(10, 0, 10) });
        // 0.0009 USD cannot cover gpt's worst case (100 output tokens at 10 USD/M) but covers 'cheap' many times.
        var team = await WalletTestKit.TeamWithBudgetAsync(gateway, $"Down-{Guid.NewGuid():N}"[..20], 0.0009m, policy: ExhaustionPolicies.Downgrade, downgradeTo: "cheap");
        var key = await gateway.CreateKeyAsync(await TeamNameAsync(team));

        var response = await CallAsync(key);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var row = await gateway.CallAsync(response.Headers.GetValues("X-Request-Id").Single());
        Assert.Equal("cheap-model", row.ModelServed);
        Assert.Equal("gpt", row.ModelRequested);
        Assert.Contains("downgraded to 'cheap'", row.RouteReason, StringComparison.Ordinal);
        Assert.Equal((10 * 0.01m + 10 * 0.01m) / 1_000_000m, row.Cost);
    }

    [Fact]
    public async Task A_wallet_that_only_warns_lets_calls_through_and_records_the_spend()
    {
        gateway.Upstream.Always(new FakeReply { Text = "ok", Usage = new(100, 0, 100) });
        var team = await WalletTestKit.TeamWithBudgetAsync(gateway, $"Warn-{Guid.NewGuid():N}"[..20], 0.0001m, policy: ExhaustionPolicies.WarnOnly);
        var key = await gateway.CreateKeyAsync(await TeamNameAsync(team));

        Assert.Equal(HttpStatusCode.OK, (await CallAsync(key)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await CallAsync(key)).StatusCode);

        var wallet = await WalletTestKit.WalletOfTeamAsync(gateway, team);
        Assert.Equal(2 * GatewayApp.ExpectedCost(100, 0, 100), wallet.Spent);
        Assert.True(wallet.Spent > wallet.Limit, "warn-only lets spend pass the limit, and says so in the ledger");
        await WalletTestKit.AssertLedgerBalancesAsync(gateway);
    }

    [Fact]
    public async Task Crossing_thresholds_raises_each_event_once_per_period()
    {
        // Each call costs (1000 × 2.50 + 1000 × 10.00) / 1e6 = 0.0125 USD: 0.05 USD limit → 25 %, 50 %, 75 %, 100 %.
        gateway.Upstream.Always(new FakeReply { Text = "ok", Usage = new(1000, 0, 1000) });
        var team = await WalletTestKit.TeamWithBudgetAsync(gateway, $"Thresh-{Guid.NewGuid():N}"[..20], 0.05m, overdraft: 100m);
        var key = await gateway.CreateKeyAsync(await TeamNameAsync(team));
        for (var i = 0; i < 4; i++) Assert.Equal(HttpStatusCode.OK, (await CallAsync(key, """{"model":"gpt","max_tokens":1000,"messages":[{"role":"user","content":"go"}]}""")).StatusCode);

        var wallet = await WalletTestKit.WalletOfTeamAsync(gateway, team);
        await using var db = gateway.App.OpenDb();
        // The provider bills more input than was estimated, so overshoot events may be recorded too; these are about thresholds.
        var events = await db.WalletEvents.AsNoTracking().Where(e => e.WalletId == wallet.Id && e.Kind != WalletEventKinds.Overshoot).OrderBy(e => e.Threshold).ToListAsync();
        Assert.Equal([80, 90, 95, 100], events.Select(e => e.Threshold));
        Assert.Equal(WalletEventKinds.Exhausted, events[^1].Kind);
        Assert.Equal(100, wallet.AnnouncedThreshold);
    }
}

public sealed class WalletLifecycleTests_on_Sqlite(SqliteGatewayApp g) : WalletLifecycleTests<SqliteGatewayApp>(g), IClassFixture<SqliteGatewayApp>;

public sealed class WalletLifecycleTests_on_Postgres(PostgresGatewayApp g) : WalletLifecycleTests<PostgresGatewayApp>(g), IClassFixture<PostgresGatewayApp>;
