using System.Net;
using System.Text;
using ControlPlane.Features.Experiments;
using ControlPlane.Features.Keys;
using ControlPlane.Features.Teams;
using ControlPlane.Features.Wallets;
using ControlPlane.Infrastructure;
using ControlPlane.Infrastructure.Auth;
using ControlPlane.Tests.Gateway.FakeUpstream;
using ControlPlane.Tests.Teams;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Tests.Experiments;

/// <summary>
/// Shadow tests through the real gateway: the shadow goes out only after the primary answer was served (ordering, not
/// timing: the primary completes while the shadow's upstream is held), is billed to the shadow key, is capped, and is scored.
/// </summary>
public abstract class ShadowTests<TApp>(TApp gateway) where TApp : ExperimentsApp
{
    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private async Task<(Guid KeyId, Guid TeamId)> ShadowKeyAsync() =>
        await gateway.App.WithScopeAsync(async sp =>
        {
            var research = await sp.GetRequiredService<TeamDirectory>().FindByNameAsync("Research");
            var created = await sp.GetRequiredService<KeyService>().CreateAsync(Actor.CommandLine, research!.Id, $"shadow-{Guid.NewGuid():N}"[..20], null);
            return (created.Value!.Key.Id, research.Id);
        });

    private async Task<ShadowTest> ShadowAsync(string model, string shadowAlias, Guid billingKey, int cap = 4)
    {
        var saved = await gateway.ServiceAsync<ShadowService, Outcome<ShadowTest>>(s => s.SaveAsync(Actor.CommandLine, null, new ShadowForm
        {
            Name = $"shadow of {model}", Model = model, ShadowAlias = shadowAlias, SamplePercent = 100, MaxConcurrent = cap, BillingKeyId = billingKey,
        }));
        Assert.True(saved.Succeeded, saved.Error);
        return saved.Value!;
    }

    private async Task<HttpResponseMessage> CallAsync(string alias, string marker)
    {
        using var client = gateway.Client(gateway.Key);
        return await client.PostAsync("/v1/chat/completions", Json($$"""{"model":"{{alias}}","messages":[{"role":"user","content":"{{marker}}"}]}"""));
    }

    private async Task<ShadowResult> ResultAsync(Guid callId)
    {
        for (var i = 0; i < 200; i++)
        {
            await using var db = gateway.App.OpenDb();
            if (await db.ShadowResults.AsNoTracking().FirstOrDefaultAsync(r => r.CallId == callId) is { } result) return result;
            await Task.Delay(50);
        }
        throw new TimeoutException($"No shadow result for call {callId} after 10 s.");
    }

    private static Guid CallId(HttpResponseMessage response) => Guid.ParseExact(response.Headers.GetValues("X-Request-Id").Single()[4..], "N");

    [Fact]
    public async Task The_primary_completes_while_the_shadow_is_held_then_both_are_stored_side_by_side_and_agree()
    {
        var (key, _) = await ShadowKeyAsync();
        var shadow = await ShadowAsync("shadow-primary", "shadow-claude", key);
        var release = new TaskCompletionSource();
        var marker = $"held-{Guid.NewGuid():N}";
        gateway.Upstream.Enqueue(
            new FakeReply { Text = "The answer is 42.", Usage = new(100, 0, 20) },
            new FakeReply { Text = "the answer is   42", Usage = new(100, 0, 5), HoldUntil = release.Task });

        var response = await CallAsync("shadow-primary", marker);
        var body = await response.Content.ReadAsStringAsync();

        // The caller has its whole answer while the shadow's provider has not answered yet.
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("The answer is 42.", body, StringComparison.Ordinal);
        var callId = CallId(response);
        await WaitForAsync(() => gateway.Upstream.Requests.Count(r => r.Body.Contains(marker, StringComparison.Ordinal)) == 2);
        Assert.Equal(FakeProvider.Anthropic, gateway.Upstream.Requests.Last(r => r.Body.Contains(marker, StringComparison.Ordinal)).Provider);
        await using (var db = gateway.App.OpenDb())
            Assert.False(await db.ShadowResults.AnyAsync(r => r.CallId == callId));

        release.SetResult();
        var result = await ResultAsync(callId);

        Assert.Equal(shadow.Id, result.ShadowTestId);
        Assert.Equal((200, 100L, 5L), (result.ShadowStatus, result.ShadowInputTokens, result.ShadowOutputTokens));
        Assert.Equal((100L, 20L), (result.PrimaryInputTokens, result.PrimaryOutputTokens));
        Assert.Equal(GatewayAppCost(100, 20), result.PrimaryCost);
        Assert.Equal(GatewayAppCost(100, 5), result.ShadowCost);
        Assert.False(result.ExactMatch);
        Assert.True(result.NormalisedMatch);
        Assert.True(result.Matched);
    }

    [Fact]
    public async Task The_shadow_is_charged_to_the_shadow_keys_wallets_and_the_caller_pays_only_its_own_call()
    {
        var (key, research) = await ShadowKeyAsync();
        await ShadowAsync("shadow-bill", "cheap", key);
        gateway.Upstream.Enqueue(new FakeReply { Text = "primary", Usage = new(1000, 0, 100) }, new FakeReply { Text = "shadow", Usage = new(1000, 0, 100) });

        var response = await CallAsync("shadow-bill", $"bill-{Guid.NewGuid():N}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var result = await ResultAsync(CallId(response));

        var primary = await gateway.CallAsync(response.Headers.GetValues("X-Request-Id").Single());
        var shadowRow = await gateway.CallAsync($"req_{result.ShadowCallId:N}");
        var platform = await gateway.App.TeamIdAsync("Platform");
        Assert.Equal((platform, GatewayAppCost(1000, 100)), (primary.TeamId!.Value, primary.Cost));
        Assert.Equal((key, research), (shadowRow.KeyId!.Value, shadowRow.TeamId!.Value));
        Assert.True(shadowRow.Cost > 0);
        Assert.Equal(result.ShadowCost, shadowRow.Cost);
        Assert.StartsWith("shadow test 'shadow of shadow-bill'", shadowRow.RouteReason, StringComparison.Ordinal);
        Assert.Equal("shadow:shadow of shadow-bill", shadowRow.Caller);
        await using var db = gateway.App.OpenDb();
        var platformWallets = await db.Wallets.AsNoTracking().Where(w => w.OwnerKind == WalletOwners.Team && w.OwnerId == platform).Select(w => w.Id).ToListAsync();
        var researchWallets = await db.Wallets.AsNoTracking().Where(w => w.OwnerKind == WalletOwners.Team && w.OwnerId == research).Select(w => w.Id).ToListAsync();
        Assert.False(await db.LedgerEntries.AnyAsync(e => e.CallId == shadowRow.Id && e.WalletId != null && platformWallets.Contains(e.WalletId.Value)));
        Assert.True(await db.LedgerEntries.AnyAsync(e => e.CallId == primary.Id && e.WalletId != null && platformWallets.Contains(e.WalletId.Value)) || platformWallets.Count == 0);
        if (researchWallets.Count > 0)
            Assert.True(await db.LedgerEntries.AnyAsync(e => e.CallId == shadowRow.Id && e.WalletId != null && researchWallets.Contains(e.WalletId.Value)));
    }

    [Fact]
    public async Task Over_the_cap_a_shadow_is_dropped_and_counted_and_the_caller_is_served_as_usual()
    {
        var (key, _) = await ShadowKeyAsync();
        var shadow = await ShadowAsync("shadow-cap", "cheap", key, cap: 1);
        var release = new TaskCompletionSource();
        var first = $"cap-1-{Guid.NewGuid():N}";
        gateway.Upstream.Enqueue(new FakeReply { Text = "p1" }, new FakeReply { Text = "s1", HoldUntil = release.Task });
        var counters = gateway.App.Services.GetRequiredService<ShadowRunner>().CountersOf(shadow.Id);

        var one = await CallAsync("shadow-cap", first);
        await WaitForAsync(() => gateway.Upstream.Requests.Count(r => r.Body.Contains(first, StringComparison.Ordinal)) == 2);
        var two = await CallAsync("shadow-cap", $"cap-2-{Guid.NewGuid():N}");
        var three = await CallAsync("shadow-cap", $"cap-3-{Guid.NewGuid():N}");

        Assert.All(new[] { one, two, three }, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        await WaitForAsync(() => counters.Dropped == 2);
        Assert.Equal(1, counters.Sent);
        release.SetResult();
        await ResultAsync(CallId(one));
        var report = (await gateway.ServiceAsync<ShadowService, IReadOnlyList<ShadowReport>>(s => s.ReportsAsync(Actor.CommandLine))).Single(r => r.Test.Id == shadow.Id);
        Assert.Equal((1L, 1L, 2L), (report.Samples, report.SentHere, report.DroppedHere));
        Assert.StartsWith("shadow matched 0", report.Summary, StringComparison.Ordinal);
    }

    private static decimal GatewayAppCost(long input, long output) => Gateway.GatewayApp.ExpectedCost(input, 0, output);

    private static async Task WaitForAsync(Func<bool> condition)
    {
        for (var i = 0; i < 200 && !condition(); i++) await Task.Delay(50);
        Assert.True(condition(), "The condition did not hold within 10 s.");
    }
}

public sealed class ShadowTests_on_Sqlite(SqliteExperimentsApp g) : ShadowTests<SqliteExperimentsApp>(g), IClassFixture<SqliteExperimentsApp>;

public sealed class ShadowTests_on_Postgres(PostgresExperimentsApp g) : ShadowTests<PostgresExperimentsApp>(g), IClassFixture<PostgresExperimentsApp>;
