using System.Net;
using System.Text;
using System.Text.Json;
using ControlPlane.Features.Keys;
using ControlPlane.Features.Metering;
using ControlPlane.Tests.Gateway.FakeUpstream;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Tests.Gateway;

/// <summary>Bad input and bad days: each gets the right status and message, and the row says what happened.</summary>
public abstract class GatewayErrorTests<TApp>(TApp gateway) : IDisposable where TApp : GatewayApp
{
    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");
    private const string Hello = """{"model":"gpt","messages":[{"role":"user","content":"Hello"}]}""";

    public void Dispose()
    {
        gateway.Upstream.Reset();
        GC.SuppressFinalize(this);
    }

    private static async Task<JsonElement> ErrorOf(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error");

    private Task<CallRecord> RowOf(HttpResponseMessage response) => gateway.CallAsync(response.Headers.GetValues("X-Request-Id").Single());

    [Fact]
    public async Task Malformed_json_is_a_400_in_OpenAI_format_and_is_recorded()
    {
        using var client = gateway.Client(gateway.Key);
        var response = await client.PostAsync("/v1/chat/completions", Json("""{"model":"gpt","messages":[""" ));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = await ErrorOf(response);
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.Contains("JSON", error.GetProperty("message").GetString(), StringComparison.OrdinalIgnoreCase);
        var row = await RowOf(response);
        Assert.Equal((400, "bad_request", UsageSource.None), (row.Status, row.ErrorClass, row.UsageSource));
    }

    [Fact]
    public async Task A_missing_model_names_the_parameter()
    {
        using var client = gateway.Client(gateway.Key);
        var response = await client.PostAsync("/v1/chat/completions", Json("""{"messages":[{"role":"user","content":"Hi"}]}"""));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("model", (await ErrorOf(response)).GetProperty("param").GetString());
    }

    [Fact]
    public async Task An_unknown_model_is_a_404_that_says_where_to_look()
    {
        using var client = gateway.Client(gateway.Key);
        var response = await client.PostAsync("/v1/chat/completions", Json("""{"model":"gpt-9000","messages":[{"role":"user","content":"Hi"}]}"""));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var error = await ErrorOf(response);
        Assert.Equal("model_not_found", error.GetProperty("code").GetString());
        Assert.Contains("/v1/models", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        var row = await RowOf(response);
        Assert.Equal(("gpt-9000", "unknown_model"), (row.ModelRequested, row.ErrorClass));
    }

    [Fact]
    public async Task The_Anthropic_door_answers_errors_in_Anthropic_format()
    {
        using var client = gateway.Client();
        client.DefaultRequestHeaders.Add("x-api-key", gateway.Key);
        client.DefaultRequestHeaders.Add("anthropic-version", "2023-06-01");
        var response = await client.PostAsync("/v1/messages", Json("""{"model":"nope","max_tokens":10,"messages":[{"role":"user","content":"Hi"}]}"""));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("error", body.GetProperty("type").GetString());
        Assert.Equal("not_found_error", body.GetProperty("error").GetProperty("type").GetString());
    }

    [Fact]
    public async Task A_body_over_the_limit_is_a_413()
    {
        using var client = gateway.Client(gateway.Key);
        var huge = """{"model":"gpt","messages":[{"role":"user","content":" """ + new string('x', 9 * 1024 * 1024) + "\"}]}";
        var response = await client.PostAsync("/v1/chat/completions", Json(huge));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("request_too_large", (await RowOf(response)).ErrorClass);
    }

    [Fact]
    public async Task Missing_and_unknown_keys_are_refused_with_a_hint()
    {
        using var anonymous = gateway.Client();
        var missing = await anonymous.PostAsync("/v1/chat/completions", Json(Hello));
        Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
        Assert.Contains("Authorization: Bearer", (await ErrorOf(missing)).GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.True(missing.Headers.Contains("X-Request-Id"));

        using var wrong = gateway.Client("cp-live-" + new string('a', 40));
        var unknown = await wrong.PostAsync("/v1/chat/completions", Json(Hello));
        Assert.Equal(HttpStatusCode.Unauthorized, unknown.StatusCode);
        Assert.Equal("invalid_api_key", (await ErrorOf(unknown)).GetProperty("code").GetString());
    }

    [Fact]
    public async Task Expired_and_revoked_keys_are_refused_and_their_calls_recorded()
    {
        var expiring = await gateway.CreateKeyAsync("Search", DateTime.UtcNow.AddDays(1));
        var revoked = await gateway.CreateKeyAsync("Search");
        await gateway.App.WithScopeAsync<bool>(async sp =>
        {
            await using (var db = gateway.App.OpenDb())
                await db.ApiKeys.Where(k => k.Hash == KeySecret.HashOf(expiring)).ExecuteUpdateAsync(k => k.SetProperty(x => x.ExpiresAt, DateTime.UtcNow.AddMinutes(-1)));
            await sp.GetRequiredService<KeyService>().RevokeByPrefixAsync(ControlPlane.Infrastructure.Auth.Actor.CommandLine, KeySecret.PrefixOf(revoked));
            return true; // the revocation reloads the key ring, which picks up the expiry too
        });

        using var expiredClient = gateway.Client(expiring);
        var expired = await expiredClient.PostAsync("/v1/chat/completions", Json(Hello));
        Assert.Equal(HttpStatusCode.Unauthorized, expired.StatusCode);
        Assert.Equal("expired_api_key", (await ErrorOf(expired)).GetProperty("code").GetString());
        var expiredRow = await RowOf(expired);
        Assert.Equal((401, "expired_api_key"), (expiredRow.Status, expiredRow.ErrorClass));
        Assert.NotNull(expiredRow.KeyId);

        using var revokedClient = gateway.Client(revoked);
        var refused = await revokedClient.PostAsync("/v1/chat/completions", Json(Hello));
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal("revoked_api_key", (await ErrorOf(refused)).GetProperty("code").GetString());
        Assert.Equal("revoked_api_key", (await RowOf(refused)).ErrorClass);
    }

    [Fact]
    public async Task An_upstream_500_is_retried_then_reported_as_a_502()
    {
        gateway.Upstream.Always(FakeReply.Error(500, "kaboom"), FakeProvider.Gemini);
        using var client = gateway.Client(gateway.Key);
        var response = await client.PostAsync("/v1/chat/completions", Json("""{"model":"gemini","messages":[{"role":"user","content":"Hi"}]}"""));

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Contains("answered 500", (await ErrorOf(response)).GetProperty("message").GetString(), StringComparison.Ordinal);
        var row = await RowOf(response);
        Assert.Equal((502, "upstream_error", 2), (row.Status, row.ErrorClass, row.Retries));
        Assert.Equal(0m, row.Cost);
    }

    [Fact]
    public async Task A_429_with_Retry_After_is_waited_out_and_retried()
    {
        gateway.Upstream.Enqueue(FakeReply.Error(429, "slow down", TimeSpan.FromSeconds(1)), new FakeReply { Text = "made it", Usage = new(10, 0, 2) });
        using var client = gateway.Client(gateway.Key);
        var response = await client.PostAsync("/v1/chat/completions", Json(Hello));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var row = await RowOf(response);
        Assert.Equal((200, 1), (row.Status, row.Retries));
        Assert.Equal(GatewayApp.ExpectedCost(10, 0, 2), row.Cost);
    }

    [Fact]
    public async Task A_provider_that_does_not_answer_in_time_is_a_504()
    {
        gateway.Upstream.Enqueue(new FakeReply { FirstByteDelay = TimeSpan.FromSeconds(10) });
        using var client = gateway.Client(gateway.Key);
        var response = await client.PostAsync("/v1/chat/completions", Json("""{"model":"slow","messages":[{"role":"user","content":"Hi"}]}"""));

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        var row = await RowOf(response);
        Assert.Equal(("upstream_timeout", UsageSource.Estimated), (row.ErrorClass, row.UsageSource));
        // The provider received the whole request: its input is owed even though it never answered.
        Assert.Equal(GatewayApp.ExpectedCost(row.InputTokens, 0, 0), row.Cost);
        Assert.True(row.Cost > 0);
    }

    [Fact]
    public async Task A_provider_that_stalls_mid_stream_is_cut_off_and_the_stream_ends_with_an_error()
    {
        gateway.Upstream.Enqueue(new FakeReply { Text = "first second third", Chunks = 3, ChunkDelay = TimeSpan.FromSeconds(10) });
        using var client = gateway.Client(gateway.Key);
        var response = await client.PostAsync("/v1/chat/completions", Json("""{"model":"slow","stream":true,"messages":[{"role":"user","content":"Hi"}]}"""));
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("upstream_idle_timeout", text, StringComparison.Ordinal);
        var row = await RowOf(response);
        Assert.Equal(("upstream_idle_timeout", UsageSource.Estimated), (row.ErrorClass, row.UsageSource));
    }

    [Fact]
    public async Task A_failing_first_target_fails_over_to_the_next()
    {
        gateway.Upstream.Always(FakeReply.Error(503, "maintenance"), FakeProvider.AzureOpenAI);
        gateway.Upstream.Enqueue(FakeReply.Error(503), FakeReply.Error(503), FakeReply.Error(503), new FakeReply { Text = "from the fallback", Usage = new(20, 0, 4) });
        using var client = gateway.Client(gateway.Key);
        var response = await client.PostAsync("/v1/chat/completions", Json("""{"model":"failover","messages":[{"role":"user","content":"Hi"}]}"""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var row = await RowOf(response);
        Assert.Equal("fake-openai", row.ProviderName);
        Assert.Contains("failover", row.RouteReason, StringComparison.Ordinal);
        Assert.Contains("fake-azure", row.RouteReason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_stream_cut_by_the_provider_ends_with_an_error_event_and_is_billed_as_estimated()
    {
        gateway.Upstream.Enqueue(new FakeReply { Text = "aaaa bbbb cccc dddd eeee ffff", Chunks = 6, CutAfterChunks = 3, Usage = new(40, 0, 12) });
        using var client = gateway.Client(gateway.Key);
        var response = await client.PostAsync("/v1/chat/completions", Json("""{"model":"gpt","stream":true,"messages":[{"role":"user","content":"Hi"}]}"""));
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("aaaa", text, StringComparison.Ordinal);
        Assert.Contains("upstream_cut", text, StringComparison.Ordinal);
        var row = await RowOf(response);
        Assert.Equal(("upstream_cut", UsageSource.Estimated), (row.ErrorClass, row.UsageSource));
        Assert.True(row.OutputTokens > 0 && row.Cost > 0, "a cut stream is billed for what was generated, never $0");
    }

    [Fact]
    public async Task Usage_the_provider_did_not_report_is_estimated_and_flagged()
    {
        gateway.Upstream.Enqueue(new FakeReply { Text = new string('w', 400), OmitUsage = true });
        using var client = gateway.Client(gateway.Key);
        var response = await client.PostAsync("/v1/chat/completions", Json(Hello));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var row = await RowOf(response);
        Assert.Equal(UsageSource.Estimated, row.UsageSource);
        Assert.Equal(100L, row.OutputTokens);
        Assert.Equal(GatewayApp.ExpectedCost(row.InputTokens, 0, 100), row.Cost);
    }

    [Fact]
    public async Task A_model_without_a_price_is_refused_rather_than_costed_at_zero()
    {
        var before = gateway.Upstream.Requests.Count;
        using var client = gateway.Client(gateway.Key);
        var response = await client.PostAsync("/v1/chat/completions", Json("""{"model":"unpriced","messages":[{"role":"user","content":"Hi"}]}"""));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("model_not_priced", (await ErrorOf(response)).GetProperty("code").GetString());
        Assert.Equal(before, gateway.Upstream.Requests.Count);
    }

    [Fact]
    public async Task A_client_that_leaves_mid_stream_is_billed_for_what_was_generated()
    {
        // 80 chunks 100 ms apart: the stream cannot end before the gateway notices the client is gone.
        gateway.Upstream.Enqueue(new FakeReply { Text = string.Concat(Enumerable.Repeat("word ", 80)), Chunks = 80, ChunkDelay = TimeSpan.FromMilliseconds(100), Usage = new(30, 0, 80) });
        string requestId;
        using (var client = gateway.Client(gateway.Key))
        using (var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = Json("""{"model":"gpt","stream":true,"messages":[{"role":"user","content":"Hi"}]}""") })
        {
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            requestId = response.Headers.GetValues("X-Request-Id").Single();
            await using var stream = await response.Content.ReadAsStreamAsync();
            using var reader = new StreamReader(stream);
            var contentEvents = 0;
            while (contentEvents < 3 && await reader.ReadLineAsync() is { } line)
                if (line.Contains("\"content\"", StringComparison.Ordinal)) contentEvents++;
        } // disposing the response aborts the connection: the client is gone

        var row = await gateway.CallAsync(requestId);
        Assert.Equal((499, "client_disconnected"), (row.Status, row.ErrorClass));
        Assert.Equal(UsageSource.Estimated, row.UsageSource);
        // Estimated from the text that went by (5 characters a chunk, 4 a token): some, never the whole answer's 100.
        Assert.InRange(row.OutputTokens, 1, 99);
        Assert.True(row.Cost > 0);
    }

    [Fact]
    public async Task Every_call_made_is_a_row()
    {
        using var client = gateway.Client(gateway.Key);
        var responses = await Task.WhenAll(Enumerable.Range(0, 60).Select(i =>
            client.PostAsync("/v1/chat/completions", Json($$"""{"model":"gpt","stream":{{(i % 2 == 0 ? "true" : "false")}},"messages":[{"role":"user","content":"n{{i}}"}]}"""))));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        var ids = responses.Select(r => Guid.ParseExact(r.Headers.GetValues("X-Request-Id").Single()["req_".Length..], "N")).ToList();
        foreach (var r in responses) await gateway.CallAsync(r.Headers.GetValues("X-Request-Id").Single());
        await using var db = gateway.App.OpenDb();
        Assert.Equal(60, await db.Calls.CountAsync(c => ids.Contains(c.Id)));
    }
}

public sealed class GatewayErrorTests_on_Sqlite(SqliteGatewayApp g) : GatewayErrorTests<SqliteGatewayApp>(g), IClassFixture<SqliteGatewayApp>;

public sealed class GatewayErrorTests_on_Postgres(PostgresGatewayApp g) : GatewayErrorTests<PostgresGatewayApp>(g), IClassFixture<PostgresGatewayApp>;
