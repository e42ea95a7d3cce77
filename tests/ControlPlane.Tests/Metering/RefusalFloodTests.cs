using System.Net;
using System.Text;
using ControlPlane.Features.Keys;
using ControlPlane.Features.Metering;
using ControlPlane.Features.Wallets;
using ControlPlane.Infrastructure.Auth;
using ControlPlane.Infrastructure.Data;
using ControlPlane.Tests.Gateway;
using ControlPlane.Tests.Infrastructure;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Tests.Metering;

/// <summary>
/// A key that keeps being refused cannot flood the call log: its refusals become one row per key, reason and minute
/// with a count, on a bounded path of their own, and served calls never wait for room behind them.
/// </summary>
public abstract class RefusalFloodTests<TApp>(TApp gateway) where TApp : GatewayApp
{
    private const int Refusals = 10_000;
    private const int Served = 12;

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private const string Empty = """{"model":"gpt","messages":[]}""";

    private const string Hello = """{"model":"gpt","max_tokens":20,"messages":[{"role":"user","content":"hi"}]}""";

    /// <summary>Holds the writer's transaction open until released: the writer is as stuck as behind a slow database.</summary>
    private sealed class WriterGate : ICallBatchHook
    {
        private readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Open() => _open.TrySetResult();

        public async Task<Action?> ApplyAsync(ControlPlaneDb db, IReadOnlyList<MeteredCall> batch, CancellationToken ct)
        {
            Entered.TrySetResult();
            await _open.Task;
            return null;
        }
    }

    /// <summary>
    /// A key of a new team without a limit, under an organisation wallet without one (this class's own database):
    /// its served calls never need the database, so a writer stuck in a transaction cannot slow them down.
    /// </summary>
    private async Task<string> UnlimitedKeyAsync()
    {
        var name = Teams.DemoOrg.Unique("Flood");
        await Wallets.WalletTestKit.TeamWithBudgetAsync(gateway, name, limit: null);
        await gateway.App.WithScopeAsync(async sp =>
        {
            await using var db = gateway.App.OpenDb();
            var org = await db.Organizations.AsNoTracking().FirstAsync();
            var saved = await sp.GetRequiredService<WalletService>().SaveAsync(Wallets.WalletTestKit.Finance, WalletOwners.Organization, org.Id,
                new WalletForm { Limit = null, Period = WalletPeriods.Monthly });
            Assert.True(saved.Succeeded, saved.Error);
            return true;
        });
        return await gateway.CreateKeyAsync(name);
    }

    [DatabaseFact]
    public async Task Ten_thousand_refusals_of_a_revoked_key_become_a_few_counted_rows_and_served_calls_never_wait()
    {
        var gate = new WriterGate();
        // A queue as small as allowed, and a writer stuck in its first batch: the old queue would have been full
        // after 16 refusals, and every call after them (refused or served) would have waited.
        await using var node = new AppFactory(gateway.App.Database, settings: gateway.Settings)
            .WithWebHostBuilder(b =>
            {
                b.UseSetting("Gateway:CallLogCapacity", "16");
                b.UseSetting("Gateway:RefusalSamplesPerMinute", "1"); // the defaults, which the shared fixture raises
                b.UseSetting("Gateway:RefusalRowCapacity", "2000");
                b.ConfigureTestServices(s => s.AddSingleton<ICallBatchHook>(gate));
            });
        // A team with no limit of its own: its served calls need no lease beyond the first, so the stuck writer's
        // transaction blocks nothing they need.
        var good = await UnlimitedKeyAsync();
        var revoked = await gateway.CreateKeyAsync("Platform");
        Guid revokedId;
        await using (var scope = node.Services.CreateAsyncScope())
        {
            await using var keysDb = gateway.App.OpenDb();
            var prefix = KeySecret.PrefixOf(revoked);
            revokedId = (await keysDb.ApiKeys.AsNoTracking().Where(k => k.Prefix == prefix).SingleAsync()).Id;
            var done = await scope.ServiceProvider.GetRequiredService<KeyService>().RevokeAsync(Actor.CommandLine, revokedId);
            Assert.True(done.Succeeded, done.Error);
        }
        var log = node.Services.GetRequiredService<CallLog>();
        using var goodClient = node.CreateClient();
        goodClient.DefaultRequestHeaders.Authorization = new("Bearer", good);
        using var revokedClient = node.CreateClient();
        revokedClient.DefaultRequestHeaders.Authorization = new("Bearer", revoked);

        // The first served call's row takes the writer into the gate, where it stays.
        var first = await goodClient.PostAsync("/v1/chat/completions", Json(Hello));
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        await gate.Entered.Task;

        var refusedCalls = Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
        {
            for (var i = 0; i < Refusals / 8; i++)
            {
                using var refused = await revokedClient.PostAsync("/v1/chat/completions", Json(Hello));
                Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            }
        }));
        var servedIds = new List<string>();
        for (var i = 0; i < Served; i++)
        {
            using var served = await goodClient.PostAsync("/v1/chat/completions", Json(Hello));
            Assert.Equal(HttpStatusCode.OK, served.StatusCode);
            servedIds.Add(served.Headers.GetValues("X-Request-Id").Single());
        }
        await refusedCalls;

        // Every refusal was counted without a queue slot; no call (served or refused) ever waited for room.
        Assert.Equal(0, log.CallsThatWaited);
        Assert.Equal(Refusals, log.Refusals.Counted);
        Assert.Equal(0, log.Refusals.Dropped);
        Assert.InRange(log.Refusals.Pending, 2, 6); // a sample and a counted row per minute the burst spanned

        gate.Open();
        log.MoveClosedRefusals();
        await node.DisposeAsync(); // the drain writes the open minute's row too

        await using var db = gateway.App.OpenDb();
        var rows = await db.Calls.AsNoTracking().Where(c => c.KeyId == revokedId).ToListAsync();
        Assert.InRange(rows.Count, 2, 6);
        Assert.Contains(rows, r => r.Count > 1_000);
        Assert.All(rows, r => Assert.Equal(("revoked_api_key", 401), (r.ErrorClass, r.Status)));
        Assert.Equal(Refusals, rows.Sum(r => r.Count));
        var servedRows = await db.Calls.AsNoTracking().Where(c => c.Status == 200 && c.Count == 1).Select(c => c.Id).ToListAsync();
        Assert.All(servedIds, id => Assert.Contains(Guid.ParseExact(id["req_".Length..], "N"), servedRows));

        // The Calls page counts them as the calls they stand for.
        var totals = await gateway.App.WithScopeAsync(sp => sp.GetRequiredService<CallQueries>()
            .TotalsAsync(Actor.CommandLine, new CallFilter { Outcome = CallOutcome.Failed, From = rows.Min(r => r.At), To = rows.Max(r => r.At).AddMinutes(1) }));
        Assert.True(totals.Errors >= Refusals, $"{totals.Errors} errors counted");
        var page = await gateway.App.WithScopeAsync(sp => sp.GetRequiredService<CallQueries>()
            .PageAsync(Actor.CommandLine, new CallFilter { Outcome = CallOutcome.Failed }, take: CallQueries.MaxPageSize));
        Assert.Equal(Refusals, page.Rows.Where(r => r.KeyId == revokedId).Sum(r => r.Count));
    }

    [DatabaseFact]
    public async Task Without_samples_a_minutes_refusals_are_one_row_with_their_count()
    {
        await using var node = new AppFactory(gateway.App.Database, settings: gateway.Settings)
            .WithWebHostBuilder(b => b.UseSetting("Gateway:RefusalSamplesPerMinute", "0"));
        var key = await UnlimitedKeyAsync();
        using var client = node.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", key);
        for (var i = 0; i < 40; i++)
            Assert.Equal(HttpStatusCode.BadRequest, (await client.PostAsync("/v1/chat/completions", Json(Empty))).StatusCode);
        var log = node.Services.GetRequiredService<CallLog>();
        Assert.Equal(40, log.Refusals.Counted);
        await node.DisposeAsync();

        await using var db = gateway.App.OpenDb();
        var prefix = KeySecret.PrefixOf(key);
        var keyId = (await db.ApiKeys.AsNoTracking().SingleAsync(k => k.Prefix == prefix)).Id;
        var rows = await db.Calls.AsNoTracking().Where(c => c.KeyId == keyId).ToListAsync();
        Assert.InRange(rows.Count, 1, 2); // 2 only if the minute turned during the loop
        Assert.Equal(40, rows.Sum(r => r.Count));
        Assert.All(rows, r => Assert.Equal("bad_request", r.ErrorClass));
    }

    [DatabaseFact]
    public async Task When_the_refusal_rows_are_full_new_refusals_are_dropped_and_counted_and_served_calls_still_go_through()
    {
        var gate = new WriterGate();
        await using var node = new AppFactory(gateway.App.Database, settings: gateway.Settings)
            .WithWebHostBuilder(b =>
            {
                b.UseSetting("Gateway:CallLogCapacity", "16");
                b.UseSetting("Gateway:RefusalSamplesPerMinute", "1");
                b.UseSetting("Gateway:RefusalRowCapacity", "2");
                b.ConfigureTestServices(s => s.AddSingleton<ICallBatchHook>(gate));
            });
        var good = await UnlimitedKeyAsync();
        using var goodClient = node.CreateClient();
        goodClient.DefaultRequestHeaders.Authorization = new("Bearer", good);
        var log = node.Services.GetRequiredService<CallLog>();
        Assert.Equal(HttpStatusCode.OK, (await goodClient.PostAsync("/v1/chat/completions", Json(Hello))).StatusCode);
        await gate.Entered.Task;

        // One reason of one key takes both rows (its sample, and its counted row); a second reason finds no room.
        for (var i = 0; i < 5; i++)
            Assert.Equal(HttpStatusCode.BadRequest, (await goodClient.PostAsync("/v1/chat/completions", Json(Empty))).StatusCode);
        for (var i = 0; i < 3; i++)
            Assert.Equal(HttpStatusCode.NotFound, (await goodClient.PostAsync("/v1/chat/completions", Json("""{"model":"no-such-model","messages":[{"role":"user","content":"hi"}]}"""))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await goodClient.PostAsync("/v1/chat/completions", Json(Hello))).StatusCode);

        // Five recorded, three dropped (at a minute's turn a new minute finds no room either: then more drop).
        Assert.Equal(8, log.Refusals.Counted + log.Refusals.Dropped);
        Assert.InRange(log.Refusals.Dropped, 3, 8);
        Assert.Equal(0, log.CallsThatWaited);
        gate.Open();
    }
}

public sealed class RefusalFloodTests_on_Sqlite(SqliteGatewayApp g) : RefusalFloodTests<SqliteGatewayApp>(g), IClassFixture<SqliteGatewayApp>;

public sealed class RefusalFloodTests_on_Postgres(PostgresGatewayApp g) : RefusalFloodTests<PostgresGatewayApp>(g), IClassFixture<PostgresGatewayApp>;
