using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ControlPlane.Features.Metering;
using ControlPlane.Tests.Gateway.FakeUpstream;

namespace ControlPlane.Tests.Gateway;

/// <summary>The OpenAI front door over plain HTTP: the happy paths, metering, and what the row says.</summary>
public abstract class ChatCompletionsTests<TApp>(TApp gateway) where TApp : GatewayApp
{
    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    [Fact]
    public async Task A_call_is_relayed_priced_and_recorded_exactly()
    {
        gateway.Upstream.Enqueue(new FakeReply { Text = "Hello from the fake", Usage = new(1200, 200, 345) });
        using var client = gateway.Client(gateway.Key);

        var response = await client.PostAsync("/v1/chat/completions", Json("""{"model":"gpt","messages":[{"role":"user","content":"Hi"}],"user":"u-42"}"""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("Hello from the fake", body.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString());
        Assert.Equal("gpt", body.GetProperty("model").GetString());
        var expected = GatewayApp.ExpectedCost(1200, 200, 345);
        Assert.Equal(expected, decimal.Parse(response.Headers.GetValues("X-ControlPlane-Cost").Single(), System.Globalization.CultureInfo.InvariantCulture));
        var requestId = response.Headers.GetValues("X-Request-Id").Single();

        var row = await gateway.CallAsync(requestId);
        Assert.Equal((200, "chat", "gpt", "gpt-4o-mini", "fake-openai"), (row.Status, row.Endpoint, row.ModelRequested, row.ModelServed, row.ProviderName));
        Assert.Equal((1200L, 200L, 345L), (row.InputTokens, row.CachedInputTokens, row.OutputTokens));
        Assert.Equal(expected, row.Cost);
        Assert.Equal(UsageSource.Provider, row.UsageSource);
        Assert.Equal("u-42", row.EndUser);
        Assert.Null(row.ErrorClass);
        Assert.False(row.Streamed);
        Assert.True(row.RequestBytes > 0 && row.ResponseBytes > 0);
    }

    [Fact]
    public async Task A_stream_asks_the_provider_for_usage_and_meters_it()
    {
        gateway.Upstream.Enqueue(new FakeReply { Text = "one two three four five", Chunks = 5, Usage = new(50, 0, 7) });
        using var client = gateway.Client(gateway.Key);
        client.DefaultRequestHeaders.Add("X-ControlPlane-Caller", "stream-test");

        var response = await client.PostAsync("/v1/chat/completions", Json("""{"model":"gpt","stream":true,"messages":[{"role":"user","content":"count"}]}"""));
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);
        var content = string.Concat(text.Split('\n').Where(l => l.StartsWith("data: {", StringComparison.Ordinal))
            .Select(l => JsonDocument.Parse(l[6..]).RootElement)
            .Where(e => e.GetProperty("choices").GetArrayLength() > 0)
            .Select(e => e.GetProperty("choices")[0].GetProperty("delta").TryGetProperty("content", out var c) ? c.GetString() : ""));
        Assert.Equal("one two three four five", content);
        Assert.EndsWith("data: [DONE]\n\n", text, StringComparison.Ordinal);

        var sent = gateway.Upstream.Requests.Last(r => r.Body.Contains("\"count\"", StringComparison.Ordinal));
        Assert.True(sent.Json()["stream_options"]!["include_usage"]!.GetValue<bool>());

        var row = await gateway.CallAsync(response.Headers.GetValues("X-Request-Id").Single());
        Assert.True(row.Streamed);
        Assert.Equal((50L, 7L), (row.InputTokens, row.OutputTokens));
        Assert.Equal(GatewayApp.ExpectedCost(50, 0, 7), row.Cost);
        Assert.Equal(UsageSource.Provider, row.UsageSource);
        Assert.Equal("stream-test", row.Caller);
        Assert.NotNull(row.TimeToFirstTokenMs);
    }

    [Theory]
    [InlineData("claude", "fake-anthropic")]
    [InlineData("gemini", "fake-gemini")]
    [InlineData("azure-gpt", "fake-azure")]
    public async Task The_OpenAI_door_reaches_every_provider_kind(string alias, string provider)
    {
        gateway.Upstream.Enqueue(new FakeReply { Text = $"Answer via {provider}", Usage = new(80, 0, 9) });
        using var client = gateway.Client(gateway.Key);

        var response = await client.PostAsync("/v1/chat/completions", Json($$"""{"model":"{{alias}}","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"}]}"""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal($"Answer via {provider}", body.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString());
        Assert.Equal(9, body.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        var row = await gateway.CallAsync(response.Headers.GetValues("X-Request-Id").Single());
        Assert.Equal(provider, row.ProviderName);
        Assert.Equal(GatewayApp.ExpectedCost(80, 0, 9), row.Cost);
    }

    [Fact]
    public async Task Models_lists_the_aliases_a_key_may_use()
    {
        using var client = gateway.Client(gateway.Key);

        var models = await client.GetFromJsonAsync<JsonElement>("/v1/models");

        var ids = models.GetProperty("data").EnumerateArray().Select(m => m.GetProperty("id").GetString()).ToList();
        Assert.Equal("list", models.GetProperty("object").GetString());
        Assert.Contains("gpt", ids);
        Assert.Contains("claude", ids);
    }

    [Fact]
    public async Task A_dry_run_shows_the_route_and_worst_case_and_calls_no_provider()
    {
        using var client = gateway.Client(gateway.Key);
        var before = gateway.Upstream.Requests.Count;
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = Json("""{"model":"gpt","max_tokens":1000,"messages":[{"role":"user","content":"12345678"}]}""") };
        request.Headers.Add("X-ControlPlane-Dry-Run", "true");

        var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.True(body.GetProperty("dry_run").GetBoolean());
        Assert.Equal("fake-openai", body.GetProperty("route")[0].GetProperty("provider").GetString());
        // The hold prices the input's upper bound (never the rough estimate below it) at the dearest input rate an
        // OpenAI-style provider can bill (it reports no cache writes).
        var input = body.GetProperty("input_tokens_bound").GetInt64();
        Assert.True(input >= body.GetProperty("estimated_input_tokens").GetInt64());
        Assert.Equal((input * GatewayApp.InputPrice + 1000 * GatewayApp.OutputPrice) / 1_000_000m,
            decimal.Parse(body.GetProperty("worst_case_cost").GetString()!, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(before, gateway.Upstream.Requests.Count);
    }
}

public sealed class ChatCompletionsTests_on_Sqlite(SqliteGatewayApp g) : ChatCompletionsTests<SqliteGatewayApp>(g), IClassFixture<SqliteGatewayApp>;

public sealed class ChatCompletionsTests_on_Postgres(PostgresGatewayApp g) : ChatCompletionsTests<PostgresGatewayApp>(g), IClassFixture<PostgresGatewayApp>;
