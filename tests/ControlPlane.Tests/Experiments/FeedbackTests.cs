using System.Net;
using System.Text;
using System.Text.Json;
using ControlPlane.Features.Metering;
using ControlPlane.Infrastructure.Auth;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Tests.Experiments;

/// <summary>POST /v1/feedback: a key rates its own calls only, once per call (a second rating replaces it, audited).</summary>
public abstract class FeedbackTests<TApp>(TApp gateway) where TApp : ExperimentsApp
{
    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private async Task<string> CallAsync()
    {
        using var client = gateway.Client(gateway.Key);
        var response = await client.PostAsync("/v1/chat/completions", Json("""{"model":"gpt","messages":[{"role":"user","content":"rate me"}]}"""));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var id = response.Headers.GetValues("X-Request-Id").Single();
        await gateway.CallAsync(id); // the row is written
        return id;
    }

    private async Task<(HttpStatusCode Status, JsonElement Body)> RateAsync(string key, string body)
    {
        using var client = gateway.Client(key);
        var response = await client.PostAsync("/v1/feedback", Json(body));
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonDocument.Parse(text).RootElement.Clone());
    }

    [Fact]
    public async Task A_rating_is_stored_once_per_call_and_a_second_replaces_it_with_an_audit_entry()
    {
        var id = await CallAsync();

        var first = await RateAsync(gateway.Key, $$"""{"request_id":"{{id}}","score":0.8,"comment":"good"}""");
        var second = await RateAsync(gateway.Key, $$"""{"request_id":"{{id}}","score":-1}""");

        Assert.Equal(HttpStatusCode.OK, first.Status);
        Assert.False(first.Body.GetProperty("replaced").GetBoolean());
        Assert.Equal(HttpStatusCode.OK, second.Status);
        Assert.True(second.Body.GetProperty("replaced").GetBoolean());
        var callId = Guid.ParseExact(id[4..], "N");
        await using var db = gateway.App.OpenDb();
        var stored = await db.CallFeedback.AsNoTracking().SingleAsync(f => f.CallId == callId);
        Assert.Equal((-1m, (string?)null, 1), (stored.Score, stored.Comment, stored.Replaced));
        var entry = await db.AuditEntries.AsNoTracking().SingleAsync(e => e.Action == "feedback.replaced" && e.Target == $"call:{id}");
        Assert.Equal("score 0.8 → -1", entry.Details);
        Assert.StartsWith("key:", entry.Actor, StringComparison.Ordinal);
        // The Requests drawer shows the rating and that it replaced an earlier one.
        var detail = await gateway.App.WithScopeAsync(sp => sp.GetRequiredService<CallDetailQueries>().FindAsync(Actor.CommandLine, callId));
        var note = Assert.Single(detail!.Notes, n => n.Label == "Feedback");
        Assert.StartsWith("-1 (rated ", note.Text, StringComparison.Ordinal);
        Assert.Contains("replacing an earlier rating 1×", note.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Another_keys_call_and_an_unknown_call_are_both_not_found()
    {
        var id = await CallAsync();
        var otherKey = await gateway.CreateKeyAsync("Research");

        var other = await RateAsync(otherKey, $$"""{"request_id":"{{id}}","score":1}""");
        var unknown = await RateAsync(gateway.Key, $$"""{"request_id":"req_{{Guid.NewGuid():N}}","score":1}""");

        Assert.Equal(HttpStatusCode.NotFound, other.Status);
        Assert.Equal("call_not_found", other.Body.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(HttpStatusCode.NotFound, unknown.Status);
        await using var db = gateway.App.OpenDb();
        var callId = Guid.ParseExact(id[4..], "N");
        Assert.False(await db.CallFeedback.AnyAsync(f => f.CallId == callId));
    }

    [Theory]
    [InlineData("""{"request_id":"REQ","score":1}""", "request_id")]
    [InlineData("""{"score":1}""", "request_id")]
    [InlineData("""{"request_id":"req_0123456789abcdef0123456789abcdef","score":1.5}""", "score")]
    [InlineData("""{"request_id":"req_0123456789abcdef0123456789abcdef","score":-0.5}""", "score")]
    [InlineData("""{"request_id":"req_0123456789abcdef0123456789abcdef","score":"good"}""", "score")]
    [InlineData("""{"request_id":"req_0123456789abcdef0123456789abcdef","score":1,"comment":5}""", "comment")]
    [InlineData("""[1,2]""", null)]
    [InlineData("""{"request_id": """, null)]
    public async Task Malformed_feedback_gets_a_400_that_names_the_field_and_stores_nothing(string body, string? param)
    {
        var (status, error) = await RateAsync(gateway.Key, body);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        var e = error.GetProperty("error");
        Assert.Equal("invalid_request_error", e.GetProperty("type").GetString());
        if (param is not null) Assert.Equal(param, e.GetProperty("param").GetString());
        Assert.False(string.IsNullOrWhiteSpace(e.GetProperty("message").GetString()));
    }

    [Fact]
    public async Task A_comment_longer_than_the_limit_is_refused()
    {
        var id = await CallAsync();

        var (status, error) = await RateAsync(gateway.Key, JsonSerializer.Serialize(new { request_id = id, score = 1, comment = new string('x', 1001) }));

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("comment", error.GetProperty("error").GetProperty("param").GetString());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_body_over_16_KB_is_refused_whether_or_not_it_declares_its_length(bool chunked)
    {
        var json = JsonSerializer.Serialize(new { request_id = "req_0123456789abcdef0123456789abcdef", score = 1, comment = new string('x', 20_000) });
        using var client = gateway.Client(gateway.Key);
        HttpContent content = chunked
            ? new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(json)))
            : new ByteArrayContent(Encoding.UTF8.GetBytes(json));
        content.Headers.ContentType = new("application/json");
        if (chunked) content.Headers.ContentLength = null;
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/feedback") { Content = content };
        if (chunked) request.Headers.TransferEncodingChunked = true;

        var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("larger than 16,384 bytes", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Feedback_without_a_key_is_refused()
    {
        using var client = gateway.Client();

        var response = await client.PostAsync("/v1/feedback", Json("""{"request_id":"req_0123456789abcdef0123456789abcdef","score":1}"""));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }
}

public sealed class FeedbackTests_on_Sqlite(SqliteExperimentsApp g) : FeedbackTests<SqliteExperimentsApp>(g), IClassFixture<SqliteExperimentsApp>;

public sealed class FeedbackTests_on_Postgres(PostgresExperimentsApp g) : FeedbackTests<PostgresExperimentsApp>(g), IClassFixture<PostgresExperimentsApp>;
