using System.Net;
using System.Text;
using ControlPlane.Features.Metering;
using ControlPlane.Features.People;
using ControlPlane.Features.Teams;
using ControlPlane.Infrastructure.Auth;
using ControlPlane.Tests.Gateway.FakeUpstream;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Tests.Gateway;

/// <summary>Prompts and completions are not stored, unless a team chose to keep them for a number of days.</summary>
public abstract class PayloadRetentionTests<TApp>(TApp gateway) where TApp : GatewayApp
{
    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");
    private static readonly Actor Admin = new(null, "test-admin", Roles.Admin);

    private async Task<CallPayload?> PayloadOfAsync(HttpResponseMessage response)
    {
        var row = await gateway.CallAsync(response.Headers.GetValues("X-Request-Id").Single());
        await using var db = gateway.App.OpenDb();
        return await db.CallPayloads.AsNoTracking().FirstOrDefaultAsync(p => p.CallId == row.Id);
    }

    [Fact]
    public async Task Nothing_is_kept_by_default()
    {
        gateway.Upstream.Enqueue(new FakeReply { Text = "secret answer" });
        using var client = gateway.Client(gateway.Key);

        var response = await client.PostAsync("/v1/chat/completions", Json("""{"model":"gpt","messages":[{"role":"user","content":"secret question"}]}"""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Null(await PayloadOfAsync(response));
    }

    [Fact]
    public async Task A_team_that_keeps_payloads_gets_prompt_and_completion_stored_until_they_expire()
    {
        var (key, days) = await gateway.App.WithScopeAsync(async sp =>
        {
            var teams = sp.GetRequiredService<TeamDirectory>();
            var team = await teams.FindByNameAsync("Sales");
            var set = await teams.SetPayloadRetentionAsync(Admin, team!.Id, 7);
            return (await gateway.CreateKeyAsync("Sales"), set.Value);
        });
        Assert.Equal(7, days);
        using var client = gateway.Client(key);

        gateway.Upstream.Enqueue(new FakeReply { Text = "kept answer" });
        var whole = await client.PostAsync("/v1/chat/completions", Json("""{"model":"gpt","messages":[{"role":"user","content":"kept question"}]}"""));
        gateway.Upstream.Enqueue(new FakeReply { Text = "streamed kept answer", Chunks = 3 });
        var streamed = await client.PostAsync("/v1/chat/completions", Json("""{"model":"gpt","stream":true,"messages":[{"role":"user","content":"streamed question"}]}"""));
        await streamed.Content.ReadAsStringAsync();

        var wholePayload = await PayloadOfAsync(whole);
        Assert.NotNull(wholePayload);
        Assert.Contains("kept question", wholePayload.Request, StringComparison.Ordinal);
        Assert.Contains("kept answer", wholePayload.Response, StringComparison.Ordinal);
        Assert.InRange(wholePayload.ExpiresAt, DateTime.UtcNow.AddDays(6.9), DateTime.UtcNow.AddDays(7.1));
        var streamPayload = await PayloadOfAsync(streamed);
        Assert.NotNull(streamPayload);
        Assert.Contains("streamed question", streamPayload.Request, StringComparison.Ordinal);
        // The completion is kept as the caller received it: the whole event stream, to its end.
        Assert.Contains("chat.completion.chunk", streamPayload.Response, StringComparison.Ordinal);
        Assert.EndsWith("data: [DONE]\n\n", streamPayload.Response, StringComparison.Ordinal);

        await using (var db = gateway.App.OpenDb())
            await db.CallPayloads.Where(p => p.CallId == wholePayload.CallId).ExecuteUpdateAsync(p => p.SetProperty(x => x.ExpiresAt, DateTime.UtcNow.AddMinutes(-1)));
        var deleted = await gateway.App.WithScopeAsync(sp => sp.GetRequiredService<PayloadJanitor>().DeleteExpiredAsync());
        Assert.True(deleted >= 1);
        Assert.Null(await PayloadOfAsync(whole));
        Assert.NotNull(await PayloadOfAsync(streamed));
    }

    [Fact]
    public async Task Only_an_owner_or_admin_sets_retention_and_only_within_bounds()
    {
        await gateway.App.WithScopeAsync(async sp =>
        {
            var teams = sp.GetRequiredService<TeamDirectory>();
            var team = (await teams.FindByNameAsync("Mobile"))!;
            Assert.False((await teams.SetPayloadRetentionAsync(new Actor(null, "lead", Roles.TeamLead), team.Id, 3)).Succeeded);
            Assert.False((await teams.SetPayloadRetentionAsync(Admin, team.Id, 0)).Succeeded);
            Assert.False((await teams.SetPayloadRetentionAsync(Admin, team.Id, 366)).Succeeded);
            Assert.True((await teams.SetPayloadRetentionAsync(Admin, team.Id, null)).Succeeded);
            return true;
        });
    }
}

public sealed class PayloadRetentionTests_on_Sqlite(SqliteGatewayApp g) : PayloadRetentionTests<SqliteGatewayApp>(g), IClassFixture<SqliteGatewayApp>;

public sealed class PayloadRetentionTests_on_Postgres(PostgresGatewayApp g) : PayloadRetentionTests<PostgresGatewayApp>(g), IClassFixture<PostgresGatewayApp>;
