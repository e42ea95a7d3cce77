using System.Text;
using ControlPlane.Features.Overview;
using ControlPlane.Features.People;
using ControlPlane.Infrastructure.Auth;
using ControlPlane.Tests.Gateway;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Tests.Overview;

/// <summary>
/// A call through the real gateway moves the Overview's ticker: a watcher subscribed to the event bus gets new totals
/// (one more call, its cost added to today and this hour) without asking; a watcher scoped elsewhere sees nothing change.
/// </summary>
public abstract class LiveTickerTests<TApp>(TApp gateway) where TApp : GatewayApp
{
    private const string Body = """{"model":"gpt","max_tokens":50,"messages":[{"role":"user","content":"tick"}]}""";

    [Fact]
    public async Task A_call_through_the_gateway_moves_the_ticker_of_a_watcher_in_scope_only()
    {
        var reader = gateway.App.Services.GetRequiredService<LiveTotalsReader>();
        var watches = gateway.App.Services.GetRequiredService<SpendWatches>();
        var (platformScope, researchScope) = await gateway.App.WithScopeAsync(async sp =>
        {
            await using var db = gateway.App.OpenDb();
            var lead = await db.Users.AsNoTracking().SingleAsync(u => u.Email == "leo.lead@acme.test");
            var rita = await db.Users.AsNoTracking().SingleAsync(u => u.Email == "rita.research@acme.test");
            var scopes = sp.GetRequiredService<OverviewScopes>();
            return (await scopes.ForAsync(new Actor(lead.Id, lead.Email, Roles.TeamLead)), await scopes.ForAsync(new Actor(rita.Id, rita.Email, Roles.TeamLead)));
        });
        var before = await reader.ReadAsync(platformScope);
        var seen = new TaskCompletionSource<LiveTotals>(TaskCreationOptions.RunContinuationsAsynchronously);
        var researchBefore = await reader.ReadAsync(researchScope);
        var researchSeen = researchBefore.CallsToday;
        using var watch = watches.Watch(platformScope, totals =>
        {
            if (totals.CallsToday > before.CallsToday) seen.TrySetResult(totals);
            return Task.CompletedTask;
        });
        using var other = watches.Watch(researchScope, totals =>
        {
            Interlocked.Exchange(ref researchSeen, totals.CallsToday);
            return Task.CompletedTask;
        });

        using var client = gateway.Client(gateway.Key); // a key of team Platform, which Leo leads
        using var response = await client.PostAsync("/v1/chat/completions", new StringContent(Body, Encoding.UTF8, "application/json"));
        response.EnsureSuccessStatusCode();
        var requestId = response.Headers.GetValues("x-request-id").First();

        var after = await seen.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var row = await gateway.CallAsync(requestId);
        Assert.Equal(before.CallsToday + 1, after.CallsToday);
        Assert.Equal(before.SpendToday + row.Cost, after.SpendToday);
        Assert.True(row.Cost > 0);
        Assert.True(after.SpendThisHour >= row.Cost);
        Assert.True(after.CallsPerMinute > 0);
        Assert.Equal(researchBefore.CallsToday, Interlocked.Read(ref researchSeen));
    }
}

public sealed class LiveTickerTests_on_Sqlite(SqliteGatewayApp g) : LiveTickerTests<SqliteGatewayApp>(g), IClassFixture<SqliteGatewayApp>;

public sealed class LiveTickerTests_on_Postgres(PostgresGatewayApp g) : LiveTickerTests<PostgresGatewayApp>(g), IClassFixture<PostgresGatewayApp>;
