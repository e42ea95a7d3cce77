using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using ControlPlane.Features.Keys;
using ControlPlane.Features.Limits;
using ControlPlane.Features.Metering;
using ControlPlane.Infrastructure;
using ControlPlane.Infrastructure.Auth;
using ControlPlane.Tests.Gateway;
using ControlPlane.Tests.Teams;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Tests.Limits;

/// <summary>
/// Limits beside money through the real gateway: each refused call is a 429 with Retry-After in the caller's own
/// format, and its row says which limit. Every test uses a fresh key with minute-long (or longer) windows, so a slow
/// machine cannot slip a call into a new window.
/// </summary>
public abstract class LimitsGatewayTests<TApp>(TApp gateway) : IDisposable where TApp : GatewayApp
{
    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");
    private const string Hello = """{"model":"gpt","messages":[{"role":"user","content":"Hello"}]}""";

    public void Dispose()
    {
        gateway.Upstream.Reset();
        GC.SuppressFinalize(this);
    }

    private async Task<(string Plaintext, Guid Id)> KeyWithLimitsAsync(int? requestsPerMinute = null, int? tokensPerMinute = null, int? callerCeiling = null)
    {
        var plaintext = await gateway.CreateKeyAsync("Platform");
        var id = await KeyIdAsync(plaintext);
        var set = await SetAsync(Actor.CommandLine, id, requestsPerMinute, tokensPerMinute, callerCeiling);
        Assert.True(set.Succeeded, set.Error);
        return (plaintext, id);
    }

    private async Task<Guid> KeyIdAsync(string plaintext)
    {
        await using var db = gateway.App.OpenDb();
        var hash = KeySecret.HashOf(plaintext);
        return await db.ApiKeys.Where(k => k.Hash == hash).Select(k => k.Id).SingleAsync();
    }

    private Task<Outcome<KeyLimits>> SetAsync(Actor actor, Guid keyId, int? requestsPerMinute, int? tokensPerMinute, int? callerCeiling) =>
        gateway.App.WithScopeAsync(sp => sp.GetRequiredService<KeyLimitsService>().SetAsync(actor, keyId, requestsPerMinute, tokensPerMinute, callerCeiling));

    private static async Task<JsonElement> ErrorOf(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error");

    private static int RetryAfterOf(HttpResponseMessage response) =>
        int.Parse(Assert.Single(response.Headers.GetValues("Retry-After")), NumberStyles.None, CultureInfo.InvariantCulture);

    private Task<CallRecord> RowOf(HttpResponseMessage response) => gateway.CallAsync(response.Headers.GetValues("X-Request-Id").Single());

    private static HttpRequestMessage Post(string json, string? caller = null, string path = "/v1/chat/completions")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = Json(json) };
        if (caller is not null) request.Headers.Add("X-ControlPlane-Caller", caller);
        return request;
    }

    private async Task AssertRefusedAsync(HttpResponseMessage response, string errorClass, string caller = "")
    {
        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        var retryAfter = RetryAfterOf(response);
        Assert.True(retryAfter >= 1, $"Retry-After {retryAfter}");
        var error = await ErrorOf(response);
        Assert.Equal("rate_limit_error", error.GetProperty("type").GetString());
        Assert.Equal(errorClass, error.GetProperty("code").GetString());
        Assert.EndsWith($"retry in {retryAfter} s.", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        var row = await RowOf(response);
        Assert.Equal((429, errorClass, UsageSource.None, 0m), (row.Status, row.ErrorClass, row.UsageSource, row.Cost));
        Assert.Equal(caller, row.Caller ?? "");
        Assert.Null(row.ProviderName); // refused before routing: no provider was asked
    }

    [Fact]
    public async Task A_key_allowing_3_requests_a_minute_gets_a_429_on_the_fourth()
    {
        var (key, _) = await KeyWithLimitsAsync(requestsPerMinute: 3);
        using var client = gateway.Client(key);

        for (var i = 0; i < 3; i++)
            Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("/v1/chat/completions", Json(Hello))).StatusCode);
        var before = gateway.Upstream.Requests.Count;
        var refused = await client.PostAsync("/v1/chat/completions", Json(Hello));

        await AssertRefusedAsync(refused, "key_requests_per_minute");
        Assert.StartsWith("This key allows 3 requests per minute", (await ErrorOf(refused)).GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(before, gateway.Upstream.Requests.Count);
    }

    [Fact]
    public async Task A_caller_over_its_ceiling_is_refused_while_another_caller_of_the_same_key_goes_on()
    {
        var (key, _) = await KeyWithLimitsAsync(callerCeiling: 5);
        using var client = gateway.Client(key);

        for (var i = 0; i < 5; i++)
        {
            using var pass = Post(Hello, "runaway-loop");
            Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(pass)).StatusCode);
        }
        using var sixth = Post(Hello, "runaway-loop");
        var refused = await client.SendAsync(sixth);
        using var other = Post(Hello, "chat-ui");
        var passed = await client.SendAsync(other);

        await AssertRefusedAsync(refused, "caller_ceiling", "runaway-loop");
        Assert.Contains("'runaway-loop'", (await ErrorOf(refused)).GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, passed.StatusCode);
        Assert.Equal("chat-ui", (await RowOf(passed)).Caller);
    }

    [Fact]
    public async Task A_key_allowing_1000_tokens_a_minute_admits_one_request_for_800_and_refuses_the_next()
    {
        var (key, _) = await KeyWithLimitsAsync(tokensPerMinute: 1000);
        using var client = gateway.Client(key);
        const string Big = """{"model":"gpt","max_tokens":800,"messages":[{"role":"user","content":"Hello"}]}""";

        var first = await client.PostAsync("/v1/chat/completions", Json(Big));
        var second = await client.PostAsync("/v1/chat/completions", Json(Big));

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        await AssertRefusedAsync(second, "key_tokens_per_minute");
        Assert.StartsWith("This key allows 1,000 tokens per minute", (await ErrorOf(second)).GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_key_without_limits_of_its_own_is_not_refused()
    {
        var key = await gateway.CreateKeyAsync("Platform");
        using var client = gateway.Client(key);

        var responses = await Task.WhenAll(Enumerable.Range(0, 40).Select(_ => client.PostAsync("/v1/chat/completions", Json(Hello))));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
    }

    [Fact]
    public async Task The_Anthropic_door_gets_Anthropic_format_429s_with_Retry_After()
    {
        var (key, _) = await KeyWithLimitsAsync(requestsPerMinute: 1);
        using var client = gateway.Client();
        client.DefaultRequestHeaders.Add("x-api-key", key);
        client.DefaultRequestHeaders.Add("anthropic-version", "2023-06-01");
        const string Message = """{"model":"claude","max_tokens":10,"messages":[{"role":"user","content":"Hi"}]}""";

        var first = await client.PostAsync("/v1/messages", Json(Message));
        var second = await client.PostAsync("/v1/messages", Json(Message));

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, second.StatusCode);
        Assert.True(RetryAfterOf(second) >= 1);
        var body = JsonDocument.Parse(await second.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("error", body.GetProperty("type").GetString());
        Assert.Equal("rate_limit_error", body.GetProperty("error").GetProperty("type").GetString());
        Assert.StartsWith("This key allows 1 request per minute", body.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal("key_requests_per_minute", (await RowOf(second)).ErrorClass);
    }

    [Fact]
    public async Task Embeddings_are_limited_too()
    {
        var (key, _) = await KeyWithLimitsAsync(requestsPerMinute: 1);
        using var client = gateway.Client(key);
        const string Embed = """{"model":"gpt","input":"hello"}""";

        var first = await client.PostAsync("/v1/embeddings", Json(Embed));
        var second = await client.PostAsync("/v1/embeddings", Json(Embed));

        Assert.NotEqual(HttpStatusCode.TooManyRequests, first.StatusCode); // whatever routing says of a chat model
        await AssertRefusedAsync(second, "key_requests_per_minute");
    }

    [Fact]
    public async Task Raising_a_limit_applies_at_once_on_this_node()
    {
        var (key, id) = await KeyWithLimitsAsync(requestsPerMinute: 1);
        using var client = gateway.Client(key);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("/v1/chat/completions", Json(Hello))).StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await client.PostAsync("/v1/chat/completions", Json(Hello))).StatusCode);

        var raised = await SetAsync(Actor.CommandLine, id, 100, null, null);

        Assert.True(raised.Succeeded, raised.Error);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("/v1/chat/completions", Json(Hello))).StatusCode);
    }

    [Fact]
    public async Task Setting_limits_is_audited_and_allowed_to_admins_and_the_keys_team_lead_only()
    {
        var plaintext = await gateway.CreateKeyAsync("Platform");
        var id = await KeyIdAsync(plaintext);

        var byLead = await SetAsync(await gateway.App.ActorAsync(DemoOrg.Leo), id, 60, 100_000, 500);
        var byOtherLead = await SetAsync(await gateway.App.ActorAsync(DemoOrg.Rita), id, 1, null, null);
        var byMember = await SetAsync(await gateway.App.ActorAsync(DemoOrg.Mia), id, 1, null, null);
        var zero = await SetAsync(Actor.CommandLine, id, 0, null, null);
        var negative = await SetAsync(Actor.CommandLine, id, null, -5, null);
        var unknown = await SetAsync(Actor.CommandLine, Guid.NewGuid(), 1, null, null);

        Assert.True(byLead.Succeeded, byLead.Error);
        Assert.Equal(new KeyLimits(60, 100_000, 500), byLead.Value);
        Assert.False(byOtherLead.Succeeded);
        Assert.False(byMember.Succeeded);
        Assert.Contains("positive", zero.Error, StringComparison.Ordinal);
        Assert.Contains("positive", negative.Error, StringComparison.Ordinal);
        Assert.False(unknown.Succeeded);

        await using var db = gateway.App.OpenDb();
        var row = await db.ApiKeys.AsNoTracking().SingleAsync(k => k.Id == id);
        Assert.Equal((60, 100_000, 500), (row.RequestsPerMinute, row.TokensPerMinute, row.CallerCeilingCalls));
        var audit = await db.AuditEntries.AsNoTracking().Where(e => e.Action == "key.limits" && e.Target == $"key:{row.Prefix}").ToListAsync();
        var entry = Assert.Single(audit);
        Assert.Equal(DemoOrg.Leo, entry.Actor);
        Assert.Contains("60 requests/min", entry.Details, StringComparison.Ordinal);
        Assert.Contains("100,000 tokens/min", entry.Details, StringComparison.Ordinal);
        Assert.Contains("500 calls per caller", entry.Details, StringComparison.Ordinal);
        // The gateway's snapshot carries the limits without a database round trip.
        var ring = gateway.App.Services.GetRequiredService<KeyRing>();
        Assert.True(ring.TryFind(plaintext, out var entryInRing));
        Assert.Equal((60, 100_000, 500), (entryInRing.RequestsPerMinute, entryInRing.TokensPerMinute, entryInRing.CallerCeilingCalls));
    }

    [Fact]
    public async Task A_team_lead_can_tighten_but_not_lift_the_limits_an_admin_set_on_a_key()
    {
        var id = await KeyIdAsync(await gateway.CreateKeyAsync("Platform"));
        var admin = await gateway.App.ActorAsync(DemoOrg.Adam);
        var lead = await gateway.App.ActorAsync(DemoOrg.Leo); // lead of Platform
        Assert.True((await SetAsync(admin, id, 10, 5_000, 100)).Succeeded);

        var raised = await SetAsync(lead, id, 1_000, 5_000, 100);
        var removed = await SetAsync(lead, id, 10, null, 100);
        var ceilingToDefault = await SetAsync(lead, id, 10, 5_000, null); // the default ceiling (1,000) is looser than 100
        Assert.False(raised.Succeeded);
        Assert.Contains("requests-per-minute", raised.Error, StringComparison.Ordinal);
        Assert.False(removed.Succeeded);
        Assert.Contains("tokens-per-minute", removed.Error, StringComparison.Ordinal);
        Assert.False(ceilingToDefault.Succeeded);
        Assert.Contains("caller ceiling", ceilingToDefault.Error, StringComparison.Ordinal);

        var tightened = await SetAsync(lead, id, 5, 5_000, 50);
        Assert.True(tightened.Succeeded, tightened.Error);
        var liftedByAdmin = await SetAsync(admin, id, null, null, null);
        Assert.True(liftedByAdmin.Succeeded, liftedByAdmin.Error);

        await using var db = gateway.App.OpenDb();
        var row = await db.ApiKeys.AsNoTracking().SingleAsync(k => k.Id == id);
        Assert.Equal(((int?)null, (int?)null, (int?)null), (row.RequestsPerMinute, row.TokensPerMinute, row.CallerCeilingCalls));
        var audit = await db.AuditEntries.AsNoTracking().Where(e => e.Action == "key.limits" && e.Target == $"key:{row.Prefix}").Select(e => e.Actor).ToListAsync();
        Assert.Equal(3, audit.Count); // the refused attempts changed nothing and wrote nothing
    }
}

public sealed class LimitsGatewayTests_on_Sqlite(SqliteGatewayApp g) : LimitsGatewayTests<SqliteGatewayApp>(g), IClassFixture<SqliteGatewayApp>;

public sealed class LimitsGatewayTests_on_Postgres(PostgresGatewayApp g) : LimitsGatewayTests<PostgresGatewayApp>(g), IClassFixture<PostgresGatewayApp>;
