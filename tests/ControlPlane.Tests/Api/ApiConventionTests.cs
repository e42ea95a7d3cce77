using System.Net;
using System.Text.Json;
using ControlPlane.Features.People;
using ControlPlane.Tests.Infrastructure;
using ControlPlane.Tests.Teams;
using Microsoft.EntityFrameworkCore;
using static ControlPlane.Tests.Api.ApiKit;

namespace ControlPlane.Tests.Api;

/// <summary>The management API's conventions over HTTP: problem details, cursor pages, ETag/If-Match, Idempotency-Key.</summary>
public abstract class ApiConventionTests(AppFixture fixture)
{
    private AppFactory App => fixture.App;

    private async Task<HttpClient> AdminAsync() => App.ApiClient(await App.TokenAsync(DemoOrg.Adam, Roles.Admin));

    [DatabaseFact]
    public async Task Bad_input_and_malformed_json_get_problem_details_naming_the_field()
    {
        var client = await AdminAsync();

        var malformed = await ProblemAsync(await client.PostAsync("/api/v1/teams", Json("{\"name\": ")), HttpStatusCode.BadRequest);
        Assert.Equal(JsonValueKind.Object, malformed.GetProperty("errors").ValueKind);
        var missing = await ProblemAsync(await client.PostAsync("/api/v1/teams", Json("{}")), HttpStatusCode.BadRequest);
        Assert.True(missing.GetProperty("errors").TryGetProperty("name", out _));
        var wrongType = await ProblemAsync(await client.PostAsync("/api/v1/keys", Json("""{"teamId": "not-a-guid"}""")), HttpStatusCode.BadRequest);
        Assert.True(wrongType.GetProperty("errors").TryGetProperty("teamId", out _));
        var limit = await ProblemAsync(await client.GetAsync("/api/v1/teams?limit=0"), HttpStatusCode.BadRequest);
        Assert.True(limit.GetProperty("errors").TryGetProperty("limit", out _));
        await ProblemAsync(await client.GetAsync("/api/v1/teams?cursor=not-a-cursor"), HttpStatusCode.BadRequest);
        await ProblemAsync(await client.GetAsync($"/api/v1/teams/{Guid.NewGuid()}"), HttpStatusCode.NotFound);
        var wallet = await ProblemAsync(await client.PostAsync("/api/v1/transfers", Json("""{"toWalletId": "00000000-0000-0000-0000-000000000001", "amount": -5, "reason": "why"}""")), HttpStatusCode.BadRequest);
        Assert.True(wallet.GetProperty("errors").TryGetProperty("amount", out _));
        // Nothing was made by any of it.
        await using var db = App.OpenDb();
        Assert.False(await db.Teams.AnyAsync(t => t.Name == "" || t.Name == "x"));
    }

    [DatabaseFact]
    public async Task Pages_follow_each_other_without_duplicates_or_gaps()
    {
        var client = await AdminAsync();
        for (var i = 0; i < 7; i++)
            await BodyAsync(await client.PostAsync("/api/v1/teams", Json($$"""{"name": "{{DemoOrg.Unique("paged")}}"}""")), HttpStatusCode.Created);

        var whole = await BodyAsync(await client.GetAsync("/api/v1/teams?limit=200"), HttpStatusCode.OK);
        Assert.Equal(JsonValueKind.Null, whole.GetProperty("next").ValueKind);
        var all = whole.GetProperty("items").EnumerateArray().Select(t => t.GetProperty("id").GetGuid()).ToList();
        Assert.True(all.Count >= 13);

        var pages = 0;
        var paged = new List<Guid>();
        for (string? next = "/api/v1/teams?limit=3"; next is not null; pages++)
        {
            var page = await BodyAsync(await client.GetAsync(next), HttpStatusCode.OK);
            var items = page.GetProperty("items").EnumerateArray().Select(t => t.GetProperty("id").GetGuid()).ToList();
            Assert.InRange(items.Count, 1, 3);
            paged.AddRange(items);
            next = page.GetProperty("next").GetString();
        }
        Assert.Equal(all, paged);
        Assert.Equal(paged.Count, paged.Distinct().Count());
        Assert.Equal((all.Count + 2) / 3, pages);
    }

    [DatabaseFact]
    public async Task Two_editors_with_the_same_etag_cannot_overwrite_each_other()
    {
        var first = await AdminAsync();
        var second = await AdminAsync();
        var team = await BodyAsync(await first.PostAsync("/api/v1/teams", Json($$"""{"name": "{{DemoOrg.Unique("etag")}}"}""")), HttpStatusCode.Created);
        var url = $"/api/v1/teams/{team.GetProperty("id").GetGuid()}";
        var read = await first.GetAsync(url);
        var etag = read.Headers.ETag!.Tag;
        Assert.Equal(etag, (await second.GetAsync(url)).Headers.ETag!.Tag);

        await ProblemAsync(await first.SendAsync(HttpMethod.Patch, url, """{"keepPayloadsDays": 7}"""), HttpStatusCode.PreconditionRequired);
        var changed = await first.SendAsync(HttpMethod.Patch, url, """{"keepPayloadsDays": 7}""", ifMatch: etag);
        Assert.Equal(7, (await BodyAsync(changed, HttpStatusCode.OK)).GetProperty("keepPayloadsDays").GetInt32());
        Assert.NotEqual(etag, changed.Headers.ETag!.Tag);
        await ProblemAsync(await second.SendAsync(HttpMethod.Patch, url, """{"keepPayloadsDays": 30}""", ifMatch: etag), HttpStatusCode.PreconditionFailed);

        var now = await BodyAsync(await second.GetAsync(url), HttpStatusCode.OK);
        Assert.Equal(7, now.GetProperty("keepPayloadsDays").GetInt32());
        await ProblemAsync(await first.SendAsync(HttpMethod.Patch, url, """{"name": "renamed"}""", ifMatch: changed.Headers.ETag!.Tag), HttpStatusCode.BadRequest);
    }

    [DatabaseFact]
    public async Task A_create_with_the_same_idempotency_key_is_replayed_and_with_another_body_refused()
    {
        var client = await AdminAsync();
        var key = Guid.NewGuid().ToString();
        var name = DemoOrg.Unique("idem");

        var first = await client.SendAsync(HttpMethod.Post, "/api/v1/teams", $$"""{"name": "{{name}}"}""", idempotencyKey: key);
        var made = await BodyAsync(first, HttpStatusCode.Created);
        var again = await client.SendAsync(HttpMethod.Post, "/api/v1/teams", $$"""{"name": "{{name}}"}""", idempotencyKey: key);
        var replayed = await BodyAsync(again, HttpStatusCode.Created);
        Assert.Equal(made.GetProperty("id").GetGuid(), replayed.GetProperty("id").GetGuid());
        Assert.Equal("true", again.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal(first.Headers.Location, again.Headers.Location);
        await ProblemAsync(await client.SendAsync(HttpMethod.Post, "/api/v1/teams", $$"""{"name": "{{name}}-other"}""", idempotencyKey: key), HttpStatusCode.UnprocessableEntity);
        // Another caller's same key is theirs, not a replay of this one.
        var other = await AdminAsync();
        await ProblemAsync(await other.SendAsync(HttpMethod.Post, "/api/v1/teams", $$"""{"name": "{{name}}"}""", idempotencyKey: key), HttpStatusCode.Conflict);

        await using var db = App.OpenDb();
        Assert.Equal(1, await db.Teams.CountAsync(t => t.Name == name));
        var kept = await db.IdempotencyRecords.AsNoTracking().Where(r => r.Key == key).ToListAsync();
        Assert.Single(kept);
        Assert.DoesNotContain(name, kept[0].ResponseBody!, StringComparison.Ordinal); // kept encrypted
    }
}

public sealed class ApiConventionTests_on_Sqlite(SqliteApp f) : ApiConventionTests(f), IClassFixture<SqliteApp>;

public sealed class ApiConventionTests_on_Postgres(PostgresApp f) : ApiConventionTests(f), IClassFixture<PostgresApp>;
