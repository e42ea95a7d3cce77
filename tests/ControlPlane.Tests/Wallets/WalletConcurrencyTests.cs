using System.Net;
using System.Text;
using ControlPlane.Tests.Gateway;
using ControlPlane.Tests.Gateway.FakeUpstream;
using ControlPlane.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Tests.Wallets;

/// <summary>
/// The money rules under real concurrency: hundreds of streams at once through the real gateway against one wallet
/// that covers only a fraction of them. Nothing is spent over the limit, every refused call got a 402, the ledger
/// balances and no hold is left behind.
/// </summary>
public abstract class WalletConcurrencyTests<TApp>(TApp gateway) : IDisposable where TApp : GatewayApp
{
    /// <summary>Each served call costs (10 × 2.50 + 100 × 10.00) / 1,000,000 = 0.001025 USD.</summary>
    private static readonly FakeReply Reply = new() { Text = "fine", Chunks = 2, Usage = new(10, 0, 100) };
    private const decimal CallCost = 0.001025m;
    private const string Body = """{"model":"gpt","stream":true,"max_tokens":200,"messages":[{"role":"user","content":"go"}]}""";

    public void Dispose()
    {
        gateway.Upstream.Reset();
        GC.SuppressFinalize(this);
    }

    protected TApp Fixture => gateway;

    protected static Task<HttpStatusCode[]> HammerTwoAsync(IEnumerable<(Uri BaseUrl, string Key)> targets, int calls) => HammerAsync(targets, calls);

    protected Task WaitForRowsTwoAsync(Guid teamId, int count) => WaitForRowsAsync(teamId, count);

    private static async Task<HttpStatusCode[]> HammerAsync(IEnumerable<(Uri BaseUrl, string Key)> targets, int calls)
    {
        var clients = targets.Select(t =>
        {
            var client = new HttpClient { BaseAddress = t.BaseUrl };
            client.DefaultRequestHeaders.Authorization = new("Bearer", t.Key);
            return client;
        }).ToArray();
        try
        {
            var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var tasks = Enumerable.Range(0, calls).Select(async i =>
            {
                await go.Task;
                using var response = await clients[i % clients.Length].PostAsync("/v1/chat/completions", new StringContent(Body, Encoding.UTF8, "application/json"));
                await response.Content.ReadAsStringAsync();
                return response.StatusCode;
            }).ToArray();
            go.SetResult();
            return await Task.WhenAll(tasks);
        }
        finally
        {
            foreach (var c in clients) c.Dispose();
        }
    }

    private async Task AssertMoneyAsync(Guid teamId, decimal limit, int served, int calls)
    {
        // Every call has its row, then the wallet's spend is exactly the served calls' cost, within the limit.
        await using var db = gateway.App.OpenDb();
        var wallet = await WalletTestKit.WalletOfTeamAsync(gateway, teamId);
        var rows = await db.Calls.AsNoTracking().Where(c => c.TeamId == teamId).Select(c => new { c.Status, c.Cost, c.ErrorClass }).ToListAsync();
        Assert.Equal(calls, rows.Count);
        Assert.Equal(served, rows.Count(r => r.Status == 200));
        Assert.All(rows.Where(r => r.Status != 200), r => Assert.Equal((402, "budget_exhausted"), (r.Status, r.ErrorClass)));
        Assert.Equal(served * CallCost, wallet.Spent);
        Assert.Equal(rows.Sum(r => r.Cost), wallet.Spent);
        Assert.True(wallet.Spent <= limit, $"spent {wallet.Spent} over the limit {limit}");
        if (wallet.Leased != 0m)
        {
            var leases = await db.BudgetLeases.AsNoTracking().Where(l => l.WalletId == wallet.Id).ToListAsync();
            Assert.Fail($"Leased {wallet.Leased} after every lease was returned; leases: "
                + string.Join("; ", leases.Select(l => $"{l.Id:N} granted {l.Granted} used {l.Used} returned {l.ReturnedAt:O} swept {l.Swept}")));
        }
        await WalletTestKit.AssertLedgerBalancesAsync(gateway);
    }

    private Task WaitForRowsAsync(Guid teamId, int count) => WalletTestKit.WaitForRowsAsync(gateway, teamId, count);

    [DatabaseFact]
    public async Task Five_hundred_concurrent_streams_never_spend_over_the_limit()
    {
        gateway.Upstream.Always(Reply);
        const decimal limit = 0.1m; // covers at most 97 of the 500 calls
        var team = await WalletTestKit.TeamWithBudgetAsync(gateway, $"Hammered-{Guid.NewGuid():N}"[..20], limit);
        var key = await gateway.CreateKeyAsync((await TeamName(team)));

        var statuses = await HammerAsync([(gateway.BaseUrl, key)], 500);

        Assert.All(statuses, s => Assert.True(s is HttpStatusCode.OK or HttpStatusCode.PaymentRequired, $"unexpected {s}"));
        var served = statuses.Count(s => s == HttpStatusCode.OK);
        Assert.InRange(served, 1, 97);
        Assert.Contains(HttpStatusCode.PaymentRequired, statuses);
        await WaitForRowsAsync(team, 500);
        await WalletTestKit.ReturnLeasesAsync(gateway.App);
        await AssertMoneyAsync(team, limit, served, 500);
    }

    [DatabaseFact]
    public async Task A_child_with_room_under_a_parent_without_room_is_refused_by_the_parent()
    {
        gateway.Upstream.Always(Reply);
        var parent = await WalletTestKit.TeamWithBudgetAsync(gateway, $"Parent-{Guid.NewGuid():N}"[..20], 0.001m);
        var child = await WalletTestKit.TeamWithBudgetAsync(gateway, $"Child-{Guid.NewGuid():N}"[..20], 0.001m, parent);
        // The child's own limit covers one worst case only if the parent's does too; make the child roomy instead.
        await gateway.App.WithScopeAsync(async sp =>
        {
            await using var db = gateway.App.OpenDb();
            await db.Wallets.Where(w => w.OwnerId == child).ExecuteUpdateAsync(s => s.SetProperty(w => w.Limit, 10m));
            await Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<ControlPlane.Features.Wallets.WalletBook>(sp).ReloadAsync();
            return true;
        });
        var key = await gateway.CreateKeyAsync(await TeamName(child));
        using var client = gateway.Client(key);

        var response = await client.PostAsync("/v1/chat/completions", new StringContent(Body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.PaymentRequired, response.StatusCode);
        var error = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error");
        Assert.Equal("budget_exhausted", error.GetProperty("code").GetString());
        Assert.StartsWith("Team Parent-", error.GetProperty("wallet").GetProperty("name").GetString(), StringComparison.Ordinal);
        // A parent team's wallet is named, never measured: its limit and spend are not the key holder's to read.
        foreach (var hidden in new[] { "limit", "ceiling", "spent", "leased", "available" })
            Assert.Equal(System.Text.Json.JsonValueKind.Null, error.GetProperty("wallet").GetProperty(hidden).ValueKind);
        Assert.False(error.GetProperty("wallet").TryGetProperty("id", out _));
        Assert.DoesNotContain("0.001", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        // A parent's wallet is not the key holder's to name by id: the link opens an empty request.
        Assert.Equal("/transfers/new", error.GetProperty("request_transfer").GetString());
        Assert.False(error.TryGetProperty("suggested_transfer", out _));

        // Budget headers name and measure only the wallets the key's holder may see: the child's, not the parent's.
        await gateway.App.WithScopeAsync(async sp =>
        {
            await using var db = gateway.App.OpenDb();
            await db.Wallets.Where(w => w.OwnerId == parent).ExecuteUpdateAsync(s => s.SetProperty(w => w.Limit, 5m));
            await Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<ControlPlane.Features.Wallets.WalletBook>(sp).ReloadAsync();
            return true;
        });
        var served = await client.PostAsync("/v1/chat/completions", new StringContent(Body, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        Assert.StartsWith("Team%20Child-", served.Headers.GetValues("X-ControlPlane-Budget-Wallet").Single(), StringComparison.Ordinal);
    }

    private async Task<string> TeamName(Guid teamId)
    {
        await using var db = gateway.App.OpenDb();
        return await db.Teams.Where(t => t.Id == teamId).Select(t => t.Name).SingleAsync();
    }
}

public sealed class WalletConcurrencyTests_on_Sqlite(SqliteGatewayApp g) : WalletConcurrencyTests<SqliteGatewayApp>(g), IClassFixture<SqliteGatewayApp>;

public sealed class WalletConcurrencyTests_on_Postgres(PostgresGatewayApp g) : MultiNodeWalletConcurrencyTests<PostgresGatewayApp>(g), IClassFixture<PostgresGatewayApp>;

[RequiresSqlServer]
public sealed class WalletConcurrencyTests_on_SqlServer(SqlServerGatewayApp g) : MultiNodeWalletConcurrencyTests<SqlServerGatewayApp>(g), IClassFixture<SqlServerGatewayApp>;

/// <summary>Two nodes on one server database (SQLite is one node's file): the wallet lock must hold across nodes.</summary>
public abstract class MultiNodeWalletConcurrencyTests<TApp>(TApp g) : WalletConcurrencyTests<TApp>(g) where TApp : GatewayApp
{
    [DatabaseFact]
    public async Task Two_nodes_on_one_database_hammering_one_wallet_never_spend_over_the_limit()
    {
        var gateway = Fixture;
        gateway.Upstream.Always(new FakeReply { Text = "fine", Chunks = 2, Usage = new(10, 0, 100) });
        const decimal limit = 0.1m;
        var team = await WalletTestKit.TeamWithBudgetAsync(gateway, $"TwoNodes-{Guid.NewGuid():N}"[..20], limit);
        string teamName;
        await using (var db = gateway.App.OpenDb())
            teamName = await db.Teams.Where(t => t.Id == team).Select(t => t.Name).SingleAsync();
        var key = await gateway.CreateKeyAsync(teamName);
        var (second, secondUrl) = gateway.StartSecondNode();
        try
        {
            // One call on each node first: a cold second node would otherwise still be starting when the warm one has
            // spent the whole budget, and the test would hammer one node instead of two.
            foreach (var node in new[] { gateway.BaseUrl, secondUrl })
                Assert.Equal(HttpStatusCode.OK, (await HammerTwoAsync([(node, key)], 1)).Single());
            var statuses = await HammerTwoAsync([(gateway.BaseUrl, key), (secondUrl, key)], 398);

            Assert.All(statuses, s => Assert.True(s is HttpStatusCode.OK or HttpStatusCode.PaymentRequired, $"unexpected {s}"));
            var served = 2 + statuses.Count(s => s == HttpStatusCode.OK);
            Assert.InRange(served, 2, 97);
            await WaitForRowsTwoAsync(team, 400);
            await WalletTestKit.ReturnLeasesAsync(gateway.App);
            await WalletTestKit.ReturnLeasesAsync(second);
            var wallet = await WalletTestKit.WalletOfTeamAsync(gateway, team);
            Assert.Equal(served * 0.001025m, wallet.Spent);
            Assert.True(wallet.Spent <= limit);
            Assert.Equal(0m, wallet.Leased);
            await using var check = gateway.App.OpenDb();
            Assert.Equal(2, await check.BudgetLeases.Where(l => l.WalletId == wallet.Id).Select(l => l.Node).Distinct().CountAsync());
            await WalletTestKit.AssertLedgerBalancesAsync(gateway);
        }
        finally
        {
            await second.DisposeAsync();
        }
    }
}
