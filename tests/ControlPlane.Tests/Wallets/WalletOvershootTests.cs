using System.Net;
using System.Text;
using System.Text.Json;
using ControlPlane.Features.Wallets;
using ControlPlane.Tests.Gateway;
using ControlPlane.Tests.Gateway.FakeUpstream;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Tests.Wallets;

/// <summary>
/// The money promise through the real gateway when the provider bills far more than was held, when periods roll
/// over under traffic, and what a refused caller is told.
/// </summary>
public abstract class WalletOvershootTests<TApp>(TApp gateway) : IDisposable where TApp : GatewayApp
{
    /// <summary>
    /// 4,000 output tokens are held (0.04 USD at 10 USD/M, plus the input estimate of a two-letter prompt), but the
    /// provider bills 20,000 input tokens: each call costs 0.05 + 0.04 = 0.09 USD, at most 0.05 over its hold.
    /// </summary>
    private static readonly FakeReply Costly = new() { Text = "long answer", Chunks = 2, Usage = new(20_000, 0, 4_000) };
    private const decimal HeldAtLeast = 0.04m, CallCost = 0.09m, OvershootAtMost = CallCost - HeldAtLeast;

    private static string Body(bool stream) => $$"""{"model":"gpt","stream":{{(stream ? "true" : "false")}},"max_tokens":4000,"messages":[{"role":"user","content":"go"}]}""";

    public void Dispose()
    {
        gateway.Upstream.Reset();
        GC.SuppressFinalize(this);
    }

    private async Task<(Guid Team, string Key)> TeamWithKeyAsync(string name, decimal limit)
    {
        var team = await WalletTestKit.TeamWithBudgetAsync(gateway, $"{name}-{Guid.NewGuid():N}"[..20], limit);
        await using var db = gateway.App.OpenDb();
        var teamName = await db.Teams.Where(t => t.Id == team).Select(t => t.Name).SingleAsync();
        return (team, await gateway.CreateKeyAsync(teamName));
    }

    private async Task<(HttpStatusCode Status, string Body)[]> BurstAsync(string key, int calls)
    {
        using var client = gateway.Client(key);
        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var tasks = Enumerable.Range(0, calls).Select(async i =>
        {
            await go.Task;
            using var response = await client.PostAsync("/v1/chat/completions", new StringContent(Body(stream: i % 2 == 0), Encoding.UTF8, "application/json"));
            return (response.StatusCode, await response.Content.ReadAsStringAsync());
        }).ToArray();
        go.SetResult();
        return await Task.WhenAll(tasks);
    }

    private Task WaitForRowsAsync(Guid team, int count) => WalletTestKit.WaitForRowsAsync(gateway, team, count);

    [Fact]
    public async Task Calls_billed_far_beyond_their_holds_overspend_at_most_the_overshoot_of_calls_in_flight_and_it_never_accumulates()
    {
        gateway.Upstream.Always(Costly);
        const decimal limit = 0.5m;
        var (team, key) = await TeamWithKeyAsync("Overshoot", limit);
        var walletId = (await WalletTestKit.WalletOfTeamAsync(gateway, team)).Id;

        var burst = await BurstAsync(key, 250);

        Assert.All(burst, r => Assert.True(r.Status is HttpStatusCode.OK or HttpStatusCode.PaymentRequired, $"unexpected {r.Status}: {r.Body}"));
        var served = burst.Count(r => r.Status == HttpStatusCode.OK);
        Assert.True(served >= 1, "some calls are served");
        await WaitForRowsAsync(team, 250);
        var afterBurst = await WalletTestKit.WalletOfTeamAsync(gateway, team);
        Assert.Equal(served * CallCost, afterBurst.Spent);
        // Holds in flight at once never sum to more than the ceiling, so at most ⌊0.5 / 0.04⌋ = 12 calls overshoot
        // past the ceiling, each by at most 0.05.
        var bound = limit + Math.Floor(limit / HeldAtLeast) * OvershootAtMost;
        Assert.True(afterBurst.Spent <= bound, $"spent {afterBurst.Spent} beyond the in-flight bound {bound} ({served} served)");
        int grants;
        await using (var db = gateway.App.OpenDb())
        {
            grants = await db.LedgerEntries.CountAsync(e => e.WalletId == walletId && e.Kind == LedgerKinds.Hold);
            Assert.True(await db.WalletEvents.AnyAsync(e => e.WalletId == walletId && e.Kind == WalletEventKinds.Overshoot), "the overshoot is recorded");
        }

        // No accumulation: the debt comes first, and the wallet cannot repay it, so nothing more is served or granted.
        var after = await BurstAsync(key, 40);
        Assert.All(after, r => Assert.Equal(HttpStatusCode.PaymentRequired, r.Status));
        await WaitForRowsAsync(team, 290);
        var afterSecond = await WalletTestKit.WalletOfTeamAsync(gateway, team);
        Assert.Equal(afterBurst.Spent, afterSecond.Spent);
        await using (var db = gateway.App.OpenDb())
            Assert.Equal(grants, await db.LedgerEntries.CountAsync(e => e.WalletId == walletId && e.Kind == LedgerKinds.Hold));
        // What the refused callers were told is the database's spend, not a stale snapshot.
        var told = JsonDocument.Parse(after[^1].Body).RootElement.GetProperty("error").GetProperty("wallet");
        Assert.Equal(afterSecond.Spent, decimal.Parse(told.GetProperty("spent").GetString()!, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("0", told.GetProperty("available").GetString());

        await WalletTestKit.ReturnLeasesAsync(gateway.App);
        var settled = await WalletTestKit.WalletOfTeamAsync(gateway, team);
        Assert.Equal(0m, settled.Leased);
        await WalletTestKit.AssertLedgerBalancesAsync(gateway);
    }

    [Fact]
    public async Task A_refusal_reports_the_wallets_numbers_as_the_database_has_them()
    {
        gateway.Upstream.Always(new FakeReply { Text = "ok", Usage = new(10, 0, 100) }); // 0.001025 USD a call
        var (team, key) = await TeamWithKeyAsync("Truth", 0.01m);
        using var client = gateway.Client(key);
        HttpResponseMessage? refused = null;
        for (var i = 0; i < 20 && refused is null; i++)
        {
            var response = await client.PostAsync("/v1/chat/completions",
                new StringContent("""{"model":"gpt","max_tokens":200,"messages":[{"role":"user","content":"go"}]}""", Encoding.UTF8, "application/json"));
            await gateway.CallAsync(response.Headers.GetValues("X-Request-Id").Single()); // its charge is written before the next call
            if (response.StatusCode == HttpStatusCode.PaymentRequired) refused = response;
        }
        Assert.NotNull(refused);

        var wallet = await WalletTestKit.WalletOfTeamAsync(gateway, team);
        var told = JsonDocument.Parse(await refused.Content.ReadAsStringAsync()).RootElement.GetProperty("error");
        var w = told.GetProperty("wallet");
        decimal Money(string name) => decimal.Parse(w.GetProperty(name).GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(wallet.Spent > 0);
        Assert.Equal(wallet.Id, w.GetProperty("id").GetGuid());
        Assert.Equal(wallet.Name, w.GetProperty("name").GetString());
        Assert.Equal(wallet.Limit, Money("limit"));
        Assert.Equal(wallet.Spent, Money("spent"));
        Assert.Equal(wallet.Leased, Money("leased"));
        Assert.Equal(Math.Max(0, wallet.Limit!.Value - wallet.Spent - wallet.Leased), Money("available"));
        var resets = WalletPeriods.EndOf(wallet.Period, wallet.PeriodStart)!.Value;
        Assert.Equal(resets, w.GetProperty("resets_at").GetDateTime());
        Assert.Equal(resets, w.GetProperty("period_ends_at").GetDateTime());
        // The link opens a transfer request for this wallet, pre-filled with the suggested amount (a path: no public URL here).
        var suggested = told.GetProperty("suggested_transfer").GetString()!;
        Assert.Equal($"/transfers/new?wallet={wallet.Id}&amount={suggested}", told.GetProperty("request_transfer").GetString());
        Assert.True(decimal.Parse(suggested, System.Globalization.CultureInfo.InvariantCulture) >= 1m);
        Assert.Contains("requests a budget transfer", told.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain("Wallets page", told.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Contains($"{wallet.Spent:0.####}", told.GetProperty("message").GetString(), StringComparison.Ordinal);
        await WalletTestKit.ReturnLeasesAsync(gateway.App);
        await WalletTestKit.AssertLedgerBalancesAsync(gateway);
    }

    [Fact]
    public async Task A_new_period_starts_on_time_under_continuous_traffic()
    {
        gateway.Upstream.Always(new FakeReply { Text = "ok", Chunks = 1, Usage = new(100, 0, 100) });
        var (team, key) = await TeamWithKeyAsync("Busy", 100m);
        using var stop = new CancellationTokenSource();
        using var client = gateway.Client(key);
        var served = 0;
        var firstServed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var traffic = Enumerable.Range(0, 8).Select(async i =>
        {
            while (!stop.IsCancellationRequested)
            {
                using var response = await client.PostAsync("/v1/chat/completions",
                    new StringContent(Body(stream: i % 2 == 0).Replace("4000", "100", StringComparison.Ordinal), Encoding.UTF8, "application/json"), CancellationToken.None);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                Interlocked.Increment(ref served);
                firstServed.TrySetResult();
            }
        }).ToArray();
        await firstServed.Task;
        var before = await WalletTestKit.WalletOfTeamAsync(gateway, team);
        var nextPeriod = new DateTimeOffset(before.PeriodStart.AddMonths(1).AddHours(1), TimeSpan.Zero);
        var maintenance = ActivatorUtilities.CreateInstance<WalletPeriodReset>(gateway.App.Services, new FixedClock(nextPeriod));

        var rolled = await maintenance.RollOverAsync(); // once, while charges keep landing

        await stop.CancelAsync();
        await Task.WhenAll(traffic);
        Assert.True(rolled >= 1);
        Assert.Equal(before.PeriodStart.AddMonths(1), (await WalletTestKit.WalletOfTeamAsync(gateway, team)).PeriodStart);
        await WaitForRowsAsync(team, served);
        await WalletTestKit.ReturnLeasesAsync(gateway.App);
        var after = await WalletTestKit.WalletOfTeamAsync(gateway, team);
        await using var db = gateway.App.OpenDb();
        var reset = await db.LedgerEntries.AsNoTracking().Where(e => e.WalletId == after.Id && e.Kind == LedgerKinds.Reset).SumAsync(e => e.Amount);
        var charged = await db.Calls.Where(c => c.TeamId == team).SumAsync(c => c.Cost);
        Assert.Equal(charged, after.Spent - reset); // every charge is either in the closed period or the new one
        Assert.Equal(0m, after.Leased);
        await WalletTestKit.AssertLedgerBalancesAsync(gateway);
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}

public sealed class WalletOvershootTests_on_Sqlite(SqliteGatewayApp g) : WalletOvershootTests<SqliteGatewayApp>(g), IClassFixture<SqliteGatewayApp>;

public sealed class WalletOvershootTests_on_Postgres(PostgresGatewayApp g) : WalletOvershootTests<PostgresGatewayApp>(g), IClassFixture<PostgresGatewayApp>;
