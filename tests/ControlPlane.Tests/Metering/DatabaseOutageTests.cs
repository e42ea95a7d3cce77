using System.Collections.Concurrent;
using System.Net;
using System.Text;
using ControlPlane.Features.Wallets;
using ControlPlane.Infrastructure.Data;
using ControlPlane.Tests.Gateway;
using ControlPlane.Tests.Infrastructure;
using ControlPlane.Tests.Wallets;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Tests.Metering;

/// <summary>
/// The database stopped for a minute under load and started again: calls go on being served (nothing on the hot path
/// awaits the database), their rows wait in the queue, and once it is back every row lands with its charge, once.
/// </summary>
public sealed class DatabaseOutageTests
{
    /// <summary>The gateway on a PostgreSQL cluster of this test's own.</summary>
    private sealed class OwnClusterGateway(PrivatePostgres cluster) : GatewayApp(DatabaseProvider.Postgres)
    {
        protected override Task<TestDatabase> CreateDatabaseAsync() => TestDatabase.CreatePostgresAsync(cluster.AdminConnectionString);
    }

    [Fact]
    public async Task A_database_stopped_for_a_minute_under_load_loses_nothing_and_charges_nothing_twice()
    {
        await using var cluster = await PrivatePostgres.StartAsync();
        var gateway = new OwnClusterGateway(cluster);
        await gateway.InitializeAsync();
        try
        {
            var teamId = await WalletTestKit.TeamWithBudgetAsync(gateway, $"Outage-{Guid.NewGuid():N}"[..20], limit: null);
            string teamName;
            await using (var db = gateway.App.OpenDb())
                teamName = await db.Teams.Where(t => t.Id == teamId).Select(t => t.Name).SingleAsync();
            var key = await gateway.CreateKeyAsync(teamName);

            var answered = new ConcurrentBag<string>();
            var failed = new ConcurrentBag<string>();
            using var stop = new CancellationTokenSource();
            // A steady load that stays under the per-caller call ceiling (1,000 calls per 10 minutes).
            var workers = Enumerable.Range(0, 2).Select(w => Task.Run(async () =>
            {
                using var client = gateway.Client(key);
                for (var i = 0; !stop.IsCancellationRequested; i++)
                {
                    var stream = (w + i) % 2 == 0 ? "true" : "false";
                    using var response = await client.PostAsync("/v1/chat/completions",
                        new StringContent($$"""{"model":"gpt","stream":{{stream}},"max_tokens":50,"messages":[{"role":"user","content":"hi {{i}}"}]}""", Encoding.UTF8, "application/json"));
                    await response.Content.ReadAsStringAsync();
                    if (response.StatusCode == HttpStatusCode.OK) answered.Add(response.Headers.GetValues("X-Request-Id").Single());
                    else failed.Add(response.Headers.GetValues("X-Request-Id").Single());
                    await Task.Delay(200);
                }
            })).ToList();

            while (answered.Count < 20) await Task.Delay(20);
            await cluster.StopServerAsync();
            var beforeOutage = answered.Count;
            await Task.Delay(TimeSpan.FromSeconds(60)); // the outage: load goes on
            var duringOutage = answered.Count - beforeOutage;
            await cluster.StartServerAsync();
            await Task.Delay(TimeSpan.FromSeconds(3));
            await stop.CancelAsync();
            await Task.WhenAll(workers);

            Assert.True(duringOutage > 0, "no call was served while the database was down");
            // Calls refused during the outage (a lease that needed topping up from the database) have rows too, uncharged.
            var ids = answered.Select(r => Guid.ParseExact(r["req_".Length..], "N")).ToHashSet();
            var refused = failed.Select(r => Guid.ParseExact(r["req_".Length..], "N")).ToHashSet();
            Dictionary<Guid, decimal> rows = [];
            for (var i = 0; i < 600 && rows.Count < ids.Count + refused.Count; i++)
            {
                await using var db = gateway.App.OpenDb();
                rows = await db.Calls.AsNoTracking().Where(c => c.TeamId == teamId).ToDictionaryAsync(c => c.Id, c => c.Cost);
                if (rows.Count < ids.Count + refused.Count) await Task.Delay(200);
            }
            Assert.Equal(ids.Count + refused.Count, rows.Count);
            Assert.Equal(ids.Union(refused).ToHashSet(), rows.Keys.ToHashSet());
            Assert.All(refused, id => Assert.Equal(0m, rows[id]));

            await using var check = gateway.App.OpenDb();
            var wallet = await WalletTestKit.WalletOfTeamAsync(gateway, teamId);
            var charges = await check.LedgerEntries.AsNoTracking()
                .Where(e => e.WalletId == wallet.Id && e.Kind == LedgerKinds.Charge && e.Account == LedgerAccounts.Spent)
                .Select(e => new { CallId = e.CallId!.Value, e.Amount }).ToListAsync();
            var byCall = charges.Where(c => ids.Contains(c.CallId)).GroupBy(c => c.CallId).ToDictionary(g => g.Key, g => g.Select(c => c.Amount).ToList());
            Assert.All(ids, id => Assert.Equal([rows[id]], byCall[id])); // each call charged to the team's wallet exactly once
            Assert.Equal(rows.Values.Sum(), wallet.Spent);
            await WalletTestKit.AssertLedgerBalancesAsync(gateway);
        }
        finally
        {
            await gateway.DisposeAsync();
        }
    }
}
